package dev.esm.libvirt;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;

/**
 * An ESM operation in a process of its own, for the tests that run two at once or kill one half-way:
 * {@code ChildOperation <uri> <domain> setup <dir> | create <name> | revert <name> | revert-running <name> | delete <name>}.
 */
public final class ChildOperation {
    private ChildOperation() {
    }

    public static void main(String[] args) {
        try (SnapshotManager esm = SnapshotManager.connect(args[0])) {
            DomainSnapshots d = esm.domain(args[1]);
            switch (args[2]) {
                case "setup" -> d.setup(args[3]).execute();
                case "create" -> d.snapshot(args[3]).create();
                case "revert" -> d.revert(args[3]).execute();
                case "revert-running" -> d.revert(args[3]).running().execute();
                case "delete" -> d.delete(args[3]).execute();
                default -> throw new IllegalArgumentException(args[2]);
            }
            System.out.println("done " + args[2] + " " + args[3]);
        }
    }
}
