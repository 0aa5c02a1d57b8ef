package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.ThrowawayDomain;
import java.io.PrintStream;

/**
 * The whole snapshot lifecycle on a throwaway domain, printing the tree after each step:
 * setup, an offline snapshot, a live snapshot of the running domain, a revert (stopping the domain), a branch,
 * a refresh, a revert to the base, a commit, deletes, and dry runs. Everything it made is removed at the end.
 *
 * <p>Run it with {@code scripts/demo.sh}, or {@code java dev.esm.examples.Demo [uri]}.
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : SnapshotManager.defaultUri();
        run(uri, System.out);
    }

    /** Runs the demo against a libvirt URI, printing to {@code out}. */
    public static void run(String uri, PrintStream out) throws Exception {
        // On a machine where no libvirt daemon ever ran, the in-process driver needs its own configuration.
        EmbeddedDriver.prepare(uri);
        // ESM first: it starts libvirt's event loop, which the in-process driver (qemu:///embed) needs.
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-demo")) {
            out.println("ESM demo on " + uri + ", throwaway domain '" + lab.name() + "' in " + lab.folder());
            DomainSnapshots vm = esm.domain(lab.name());
            vm.disks().forEach(d -> out.println("  disk " + d.target() + " " + d.source().orElse("-")
                    + (d.eligible() ? "" : " (left alone: " + d.ineligible() + ")")));

            step(out, vm, "setup: move the images to <folder>/disks, freeze them as the base",
                    () -> vm.setup(lab.folder() + "/snapshots").execute());
            step(out, vm, "create 'installed' (offline)",
                    () -> vm.snapshot("installed").description("fresh install").create());

            lab.start();
            step(out, vm, "create 'configured' while the domain runs (live, all disks at once)",
                    () -> vm.snapshot("configured").description("after configuration").create());

            out.println("\n== dry run: what 'revert installed' would do");
            out.print(vm.revert("installed").stopIfRunning().plan().render());

            step(out, vm, "revert to 'installed' (powers the running domain off first)",
                    () -> vm.revert("installed").stopIfRunning().execute());
            step(out, vm, "create 'experiment': a branch next to 'configured'",
                    () -> vm.snapshot("experiment").create());
            step(out, vm, "refresh: throw away everything since 'experiment'", () -> vm.refresh().execute());
            step(out, vm, "revert to the base", () -> vm.revert("base").execute());
            step(out, vm, "revert to 'configured' again: same content as when it was taken",
                    () -> vm.revert("configured").execute());
            step(out, vm, "create 'patched' and 'tested' on top of it",
                    () -> {
                        vm.snapshot("patched").create();
                        vm.snapshot("tested").create();
                    });

            out.println("\n== dry run: what 'commit configured tested' would do");
            out.print(vm.commit("configured", "tested").plan().render());
            step(out, vm, "commit configured..tested: merge 'patched' and 'tested' away in one job per disk,"
                    + " 'configured' and the current state keep their contents",
                    () -> vm.commit("configured", "tested").progress(printer(out)).execute());
            step(out, vm, "delete 'experiment' (a leaf: its files go)", () -> vm.delete("experiment").execute());
            step(out, vm, "delete 'installed' (its only child now is 'configured': merged into it)",
                    () -> vm.delete("installed").execute());

            var info = vm.info("configured");
            out.printf("%n'configured' holds %d images, %d bytes on disk%n", info.images().size(), info.actualSize());
            out.println("\nDone; removing the throwaway domain and its files.");
        }
    }

    /** @return a listener that prints each disk's merge progress when its whole percentage changes */
    private static dev.esm.api.ProgressListener printer(PrintStream out) {
        java.util.Map<String, Long> last = new java.util.concurrent.ConcurrentHashMap<>();
        return p -> {
            long pct = Math.round(p.fraction() * 100);
            if (!Long.valueOf(pct).equals(last.put(p.disk(), pct))) {
                out.printf("   merging %s: %d%%%n", p.disk(), pct);
            }
        };
    }

    private static void step(PrintStream out, DomainSnapshots vm, String title, Runnable action) {
        out.println("\n== " + title);
        long t0 = System.nanoTime();
        action.run();
        out.printf("   (%.0f ms)%n", (System.nanoTime() - t0) / 1e6);
        out.print(vm.chain().render());
    }
}
