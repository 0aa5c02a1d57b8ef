package dev.esm.cli;

/**
 * Ctrl-C for the {@code esm} process: SIGINT goes to {@link Session#interrupt()} (cancel a running merge, let other
 * changing steps finish, end at once otherwise) instead of the JVM's default of running shutdown hooks and exiting
 * mid-operation. Uses {@code sun.misc.Signal} (module jdk.unsupported, present in every OpenJDK); without it the
 * JVM's default stays.
 */
final class Interrupts {
    private Interrupts() {
    }

    static void install(Session session) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> session.interrupt());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // No SIGINT handling on this JVM/platform: the default (exit 130) applies; the journal recovers.
        }
    }
}
