package dev.esm.cli;

import picocli.CommandLine.Parameters;

/** The parameter every command on one domain takes: one definition, mixed in. */
final class DomainArgs {
    @Parameters(index = "0", paramLabel = "<domain>", description = "the libvirt domain (its name)")
    String domain;
}
