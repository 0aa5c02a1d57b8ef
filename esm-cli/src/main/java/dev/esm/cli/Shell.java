package dev.esm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** {@code esm shell}: Interactive prompt: one command a line, on one connection. */
@CommandLine.Command(name = "shell", mixinStandardHelpOptions = true,
        header = "Interactive prompt: one command a line, on one connection.",
        description = {"Reads commands at an 'esm> ' prompt, with the command line's syntax: words split at "
                + "blanks, '...' and \"...\" quote, \\ escapes, # starts a comment. A failing command prints "
                + "its error and the prompt comes back. 'help' lists the commands; 'exit', 'quit' or end of "
                + "input (Ctrl-D) leave.",
                "The connection is opened at the first command and kept, so every later command runs at "
                        + "in-process speed. 'esm' without a command on a terminal opens the prompt too."})
final class Shell extends Sub {
    @Override
    public Integer call() throws IOException {
        if (root.session.nested) {
            throw new CommandLine.ParameterException(spec.commandLine(), "already in a batch or shell");
        }
        return root.shell(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    }
}
