package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Recovery;
import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.libvirt.testbed.LibvirtCallLog.Call;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.LibvirtException;
import dev.esm.libvirt.internal.connect.DomainHandles;
import dev.esm.libvirt.internal.jobs.MergeHelpers;
import dev.esm.libvirt.internal.state.DomainJournals;
import dev.esm.libvirt.testbed.ChildOperation;
import dev.esm.libvirt.testbed.DelayingRelay;
import dev.esm.libvirt.testbed.IsolatedClient;
import dev.esm.libvirt.testbed.LibvirtCallLog;
import dev.esm.libvirt.testbed.RemoteBed;

/**
 * Issue 21, "proof by pausing": over {@code qemu+ssh} with a 2 s lease, client A (an {@link IsolatedClient} running
 * {@link ChildOperation}) is SIGSTOPped in the middle of each kind of step for longer than its lease; client B (this
 * test's own manager) takes the lease over and completes or undoes A's operation ({@code recover()}); then A is
 * SIGCONTed. A must make no further libvirt call that changes anything, must exit with its own code (0 when B
 * completed its operation, {@value ChildOperation#LOST_EXIT} when B undid it) and exactly one line saying it lost the
 * domain to another client and what became of its operation; every snapshot keeps its data.
 *
 * <p>A's libvirt calls are counted from libvirt's own client log ({@link LibvirtCallLog}: A runs with
 * {@code LIBVIRT_LOG_OUTPUTS}/{@code LIBVIRT_LOG_FILTERS} set so that each public API entry point logs one line with
 * its time); a changing call whose time is at or after the instant SIGCONT was sent was made after A resumed. A
 * prints {@code STEP <kind> <index>} per step (and sleeps a little at the chosen step, before its first call), so the
 * SIGSTOP lands there; for merges the stop waits until the block job runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaseFencingRemoteIT {
    private static final String LEASE = "PT2S";
    /** How long A may take to stop after SIGCONT (it waits read-only for B's journal, which B has finished). */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(60);
    /** A line that says this client lost the domain to another one. */
    private static final Pattern LOSS = Pattern.compile(
            "(?i)(lost|taken over|took over|no longer (held|protected|this client)|another client)");
    private static final AtomicInteger PATTERNS = new AtomicInteger(0x20);

    private RemoteBed bed;
    private Path work;
    /** The shared two-disk domain of the overlay-run, define and slow-link tests; made on first use. */
    private String disks;
    /** Per snapshot of {@link #disks}: the pattern both its disks hold. */
    private final Map<String, Integer> patternOf = new HashMap<>();

    @BeforeAll
    void open() throws IOException {
        System.setProperty("esm.leaseTtl", LEASE); // B's lease time: how long it waits for a silent A
        bed = new RemoteBed();
        // A's libvirt logs stay here after the run (target/, so 'mvn clean' removes them), for a failure's analysis.
        Path logs = Path.of("target", "lease-fencing");
        Files.createDirectories(logs);
        work = Files.createTempDirectory(logs.toAbsolutePath(), "run-");
    }

    @AfterAll
    void close() {
        try {
            if (bed != null) {
                bed.close();
            }
        } finally {
            System.clearProperty("esm.leaseTtl");
        }
    }

    // ------------------------------------------------------------------------------------------------ the tests

    /**
     * The counting itself, shown once: an unpaused create in a client process logs its changing calls (the overlays'
     * volumes, the snapshot, the definition), each with a time inside the run.
     */
    @Test
    void theClientLogSeesTheChangingCallsAClientMakes() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.raw("vdb", "b.img")));
        bed.manager().domain(dom).setup(bed.folder(dom) + "/esm").execute();
        int p = writeBoth(dom);
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (ClientA a = new ClientA(bed.uriOfBed(), dom, null, "create", "counted")) {
            int code = a.awaitExit(EXIT_WAIT);
            Instant after = Instant.now();
            assertEquals(0, code, a.transcript());
            patternOf.put("counted", p);
            List<Call> changing = LibvirtCallLog.changingSince(a.calls(), before);
            System.out.println("[fencing] the changing calls of an unpaused create:\n  "
                    + String.join("\n  ", changing.stream().map(Call::toString).toList()));
            List<String> names = changing.stream().map(Call::name).toList();
            assertTrue(names.contains("virStorageVolCreateXML"), "the overlays' volumes are seen: " + names);
            assertTrue(names.stream().anyMatch(n -> n.startsWith("virDomainDefineXML")
                    || n.equals("virDomainSnapshotCreateXML")), "the snapshot or the definition is seen: " + names);
            assertTrue(changing.stream().allMatch(c -> !c.at().isAfter(after)), "times are the calls' own");
            System.out.println("[fencing] its steps: " + a.steps());
            assertTrue(a.steps().stream().anyMatch(s -> s.startsWith("STEP CREATE_OVERLAY ")), a.transcript());
        }
        assertSnapshotsKeepTheirData(dom, p);
    }

    @Test
    void aClientPausedInAnOverlayRunPastItsLeaseMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        pausedInAnOverlayRun(bed.uriOfBed(), "in-run");
    }

    /**
     * The same over a slow link: A's ssh goes through a relay that holds every packet 40 ms each way (10 round
     * trips, 0.8 s, stay under the 2 s lease, so A may connect).
     */
    @Test
    void aClientOnASlowLinkPausedInAnOverlayRunMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        java.net.URI u = java.net.URI.create(bed.uriOfBed());
        try (DelayingRelay relay = new DelayingRelay(u.getHost(), u.getPort(), 40)) {
            pausedInAnOverlayRun(relay.uri(bed.uriOfBed(), work), "slow-run");
        }
    }

    /**
     * Over the slow link, A stops in the middle of its first heartbeat: its lease volume looked up, the renewal not yet
     * sent. After SIGCONT the renewal may not go out either (it could only reach A's own generation, which B removed,
     * but it is a changing call all the same).
     */
    @Test
    void aClientOnASlowLinkPausedInItsHeartbeatRenewsNothingAfterwards() throws Exception {
        java.net.URI u = java.net.URI.create(bed.uriOfBed());
        try (DelayingRelay relay = new DelayingRelay(u.getHost(), u.getPort(), 40)) {
            String dom = disksDomain();
            int p = writeBoth(dom);
            try (ClientA a = new ClientA(relay.uri(bed.uriOfBed(), work), dom, null, "create", "in-beat")) {
                a.awaitLogged(c -> c.name().equals("virStorageVolLookupByName") && c.arguments().contains(".lease."),
                        "the first heartbeat looks its lease up");
                a.stop();
                Recovery r = takeOverMaybe(dom); // A may not have begun its operation yet (no journal)
                if (r != null && r.completed()) {
                    patternOf.put("in-beat", p);
                }
                assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(dom),
                        () -> assertSnapshotsKeepTheirData(dom, p));
            }
        }
    }

    /** A revert (shut off): its overlays are made, A stops before the define that would put the domain on them. */
    @Test
    void aClientPausedBeforeItsDefinePastItsLeaseMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        pausedAtItsDefine(bed.uriOfBed(), "before-define", false);
    }

    /** The same over the slow link (40 ms each way). */
    @Test
    void aClientOnASlowLinkPausedBeforeItsDefineMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        java.net.URI u = java.net.URI.create(bed.uriOfBed());
        try (DelayingRelay relay = new DelayingRelay(u.getHost(), u.getPort(), 40)) {
            pausedAtItsDefine(relay.uri(bed.uriOfBed(), work), "slow-define", false);
        }
    }

    /**
     * Over the slow link, A stops inside its define call (the request sent, the reply still on the way). The call
     * itself may land (it was made before the stop; the lease's margin is for that), but nothing after it may: not the
     * journal's record of the step, nor the next step.
     */
    @org.junit.jupiter.api.Disabled("racy under load: two CI runs stopped A before its define went out (the define then left"
            + " after SIGCONT, the one-request window docs/leases.md describes); the stop point needs a signal from"
            + " the host side that the define arrived. The define is covered before the call, with and without the"
            + " slow link")
    @Test
    void aClientOnASlowLinkPausedInsideItsDefineMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        java.net.URI u = java.net.URI.create(bed.uriOfBed());
        try (DelayingRelay relay = new DelayingRelay(u.getHost(), u.getPort(), 40)) {
            pausedAtItsDefine(relay.uri(bed.uriOfBed(), work), "inside-define", true);
        }
    }

    @Test
    void aClientPausedDuringALiveMergeMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        Merge m = mergeDomain(true);
        bed.start(m.dom);
        try (ClientA a = new ClientA(bed.uriOfBed(), m.dom, null, "delete", "s1")) {
            a.awaitStep("MERGE", 1);
            awaitOrFail(() -> blockJobRunning(m.dom, "vda"), a, "the live block commit runs");
            a.stop();
            System.out.println("[fencing] live merge: the block job still ran once A was stopped: "
                    + blockJobRunning(m.dom, "vda"));
            Recovery r = takeOver(m.dom);
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(m.dom),
                    () -> assertMergeDomainKeepsItsData(m, r));
        }
    }

    /**
     * A's live merge has ended (block job done, the step finished) and A stops before its journal records the step:
     * after SIGCONT it may not write that record either (B has finished the operation and removed the journal; a
     * journal written now would be replayed by the next operation on the domain).
     */
    @Test
    void aClientPausedJustAfterItsLiveMergeEndedWritesNoJournalAndSaysItLostTheDomain() throws Exception {
        Merge m = mergeDomain(false);
        bed.start(m.dom);
        try (ClientA a = new ClientA(bed.uriOfBed(), m.dom, "after:MERGE", "delete", "s1")) {
            a.awaitStepDone("MERGE", 1);
            a.stop();
            Recovery r = takeOver(m.dom);
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(m.dom),
                    () -> assertMergeDomainKeepsItsData(m, r));
        }
    }

    @Test
    void aClientPausedDuringAnOfflineMergeMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        Merge m = mergeDomain(true);
        try (ClientA a = new ClientA(bed.uriOfBed(), m.dom, null, "delete", "s1")) {
            a.awaitStep("MERGE", 1);
            awaitOrFail(() -> helperMerging(bed.folder(m.dom)), a, "the merge helper domain's block job runs");
            a.stop();
            System.out.println("[fencing] offline merge: the helper's block job still ran once A was stopped: "
                    + helperMerging(bed.folder(m.dom)));
            Recovery r = takeOver(m.dom);
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(m.dom),
                    () -> assertMergeDomainKeepsItsData(m, r));
        }
    }

    @Test
    void aClientPausedBeforeAMemoryRestoreMakesNoFurtherChangeAndSaysItLostTheDomain() throws Exception {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x51);
        bed.write(dom, "vda", 0x51);
        Snapshot m1 = d.snapshot("m1").memory().create();
        String memoryHash = bed.fileHash(m1.memoryFile().orElseThrow());
        bed.writeMemory(dom, 0x52);
        bed.write(dom, "vda", 0x52);
        try (ClientA a = new ClientA(bed.uriOfBed(), dom, "RESTORE_MEMORY", "revert-running", "m1")) {
            a.awaitStep("RESTORE_MEMORY", 1);
            a.stop();
            Recovery r = takeOver(dom);
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(dom), () -> {
                DomainSnapshots after = bed.manager().domain(dom);
                assertAll(
                    () -> assertEquals(List.of(), after.verify()),
                    () -> assertEquals(memoryHash, bed.fileHash(m1.memoryFile().orElseThrow()),
                            "the memory file is unchanged"),
                    () -> assertTrue(bed.imageReads(after.chain().get("m1").image("vda").orElseThrow(), 0x51),
                            "m1's disk keeps its data"),
                    () -> {
                        if (r.completed()) {
                            assertEquals(DomainState.RUNNING, after.state(), "B restored m1 running");
                            assertTrue(bed.memoryReads(dom, 0x51), "m1's RAM is back");
                            assertTrue(bed.reads(dom, "vda", 0x51), "m1's disk is back");
                        }
                    });
            });
        }
    }

    // --------------------------------------------------------------------------------------------- scenarios

    private void pausedInAnOverlayRun(String uriOfA, String name) throws Exception {
        String dom = disksDomain();
        int p = writeBoth(dom);
        // Two disks: two overlay creations in a run; A stops in the middle of the run: the first overlay made
        // (its volume created and written), the second not yet. The run's overlays are made at once, one thread
        // each: the second holds at its marker while the first is made; A stops once the first has ended.
        // (A stop inside one call, between the proof of the lease and the call's request leaving the process, lets
        // that one call through when A resumes: the limit of fencing done by the client, see docs/leases.md. A stop
        // taken when the log shows a call entered lands in that window at random, so this test stops between calls.)
        try (ClientA a = new ClientA(uriOfA, dom, "CREATE_OVERLAY#2", "create", name)) {
            a.awaitStep("CREATE_OVERLAY", 2);
            a.awaitStepDone("CREATE_OVERLAY", 1);
            a.stop();
            Recovery r = takeOver(dom);
            if (r.completed()) {
                patternOf.put(name, p);
            }
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(dom),
                    () -> assertSnapshotsKeepTheirData(dom, p));
        }
    }

    /**
     * A revert of the shared domain to a new snapshot {@code name}: A stops at its define, before the call
     * ({@code inside} false: at the step's marker, while the listener holds it) or inside it ({@code inside} true: as
     * soon as A's log shows {@code virDomainDefineXML} entered; over the slow link its reply is then still on the way).
     */
    private void pausedAtItsDefine(String uriOfA, String name, boolean inside) throws Exception {
        String dom = disksDomain();
        int p1 = writeBoth(dom);
        bed.manager().domain(dom).snapshot(name).create();
        patternOf.put(name, p1);
        int p2 = writeBoth(dom);
        try (ClientA a = new ClientA(uriOfA, dom, inside ? null : "DEFINE_DOMAIN", "revert", name)) {
            a.awaitStep("DEFINE_DOMAIN", 1);
            if (inside) {
                // Once the host has A's definition (its new overlays) while the reply is still on the slow link. (A
                // stop before A's request has left the process lets that one call through when A resumes: the limit
                // of fencing done by the client, docs/leases.md; a stop on the log line of the call's entry lands
                // there at random.)
                // (The disks' sources, not the whole XML: A's journal, in the definition's metadata, names them
                // before the define.)
                awaitOrFail(() -> dev.esm.core.xml.DomainXml.parse(bed.libvirtHost().domainXml(dom, false))
                        .activeImages().stream().anyMatch(i -> i.path().contains(".after-" + name + ".")), a,
                        "the host has A's new definition");
            }
            a.stop();
            Recovery r = takeOver(dom);
            assertAll(() -> assertFencedOut(a, r), () -> assertNoJournalLeft(dom),
                    () -> assertSnapshotsKeepTheirData(dom, r.completed() ? p1 : p2));
        }
    }

    /** B (this test's manager) waits out A's silent lease, takes it over and recovers A's operation. */
    private Recovery takeOver(String dom) {
        Recovery r = takeOverMaybe(dom);
        assertNotNull(r, "B found A's unfinished operation and recovered it");
        return r;
    }

    /** As {@link #takeOver}; null when A had not begun to change anything (no journal): B just takes the lease. */
    private Recovery takeOverMaybe(String dom) {
        long t0 = System.nanoTime();
        DomainSnapshots b = bed.manager().domain(dom);
        b.recover();
        Recovery r = b.lastRecovery().orElse(null);
        System.out.printf("[fencing] B took over %s after %d ms: %s%n", dom,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), r == null ? "nothing to recover" : r.describe());
        return r;
    }

    private void assertFencedOut(ClientA a, Recovery r) throws Exception {
        assertTrue(a.isStopped(), "A was still stopped when B had finished");
        a.cont();
        int code = a.awaitExit(EXIT_WAIT);
        List<Call> calls = a.calls();
        List<Call> changingAfter = LibvirtCallLog.changingSince(calls, a.continued);
        List<Call> everyAfter = calls.stream().filter(c -> !c.at().isBefore(a.continued)).toList();
        System.out.printf("[fencing] A (%s) exited %d; %d libvirt calls after SIGCONT, %d changing%n", a.describe(),
                code, everyAfter.size(), changingAfter.size());
        List<String> err = a.stderr();
        List<String> esmLines = err.stream().filter(l -> l.startsWith("esm: ")).toList();
        List<String> lossLines = err.stream().filter(l -> LOSS.matcher(l).find()).toList();
        List<Call> before = calls.stream().filter(c -> c.at().isBefore(a.continued)).toList();
        String transcript = a.transcript() + "\n--- A's libvirt log: " + a.log
                + "\n--- A's last libvirt calls before SIGSTOP (" + a.stopped + "):\n  "
                + String.join("\n  ", before.subList(Math.max(0, before.size() - 12), before.size()).stream()
                        .map(Call::toString).toList())
                + "\n--- every libvirt call of A after SIGCONT (" + a.continued + "):\n  "
                + String.join("\n  ", everyAfter.stream().map(Call::toString).toList());
        assertAll(
                () -> assertTrue(calls.stream().anyMatch(c -> c.changing() && c.at().isBefore(a.stopped)),
                        "the log saw A's changing calls before the pause (the counting works in this run)"),
                () -> assertEquals(List.of(), changingAfter.stream().map(c -> c + inFlight(c, before)).toList(),
                        "A made changing libvirt calls after SIGCONT" + transcript),
                () -> assertFalse(a.stdout().stream().anyMatch(l -> l.startsWith("done ")),
                        "A did not report its operation as its own success" + transcript),
                () -> assertEquals(1, esmLines.size(), "one 'esm: <message>' line" + transcript),
                () -> assertEquals(1, lossLines.size(), "exactly one line says A lost the domain" + transcript),
                () -> assertTrue(esmLines.size() == 1 && (r == null || (r.completed()
                                ? esmLines.get(0).toLowerCase().contains("completed")
                                : esmLines.get(0).toLowerCase().matches(".*(undone|undid|undo).*"))),
                        "the line says what became of the operation (B " + (r == null ? "found nothing to recover"
                                : r.completed() ? "completed it" : "undid it") + ")" + transcript),
                () -> assertEquals(r != null && r.completed() ? 0 : ChildOperation.LOST_EXIT, code,
                        "A's exit code says whether its operation took effect" + transcript));
    }

    /**
     * Once B has finished and A has stopped, no journal may be on the domain (ESM keeps it in the domain's metadata,
     * {@link DomainJournals#NS}): one there now was written by A after B recovered, and the next operation would
     * replay it. Read on the bed's own connection, before anything (a manager's {@code domain()}) could recover it.
     */
    private void assertNoJournalLeft(String dom) {
        Connect c = bed.libvirtHost().connectionForTests();
        Domain d = null;
        String journal = null;
        try {
            d = c.domainLookupByName(dom);
            journal = d.getMetadata(2 /* VIR_DOMAIN_METADATA_ELEMENT */, DomainJournals.NS, 2 /* CONFIG */);
        } catch (LibvirtException none) {
            // VIR_ERR_NO_DOMAIN_METADATA: no journal
        } finally {
            DomainHandles.free(d);
        }
        assertEquals(null, journal, "a journal is on " + dom + " after B recovered and A stopped");
    }

    /** @return what the thread of a call after SIGCONT last did before the stop: the call it may have been part of */
    private static String inFlight(Call after, List<Call> before) {
        for (int i = before.size() - 1; i >= 0; i--) {
            Call c = before.get(i);
            if (c.thread() == after.thread()) {
                return " <- the same thread's last call before SIGSTOP: " + c;
            }
        }
        return " <- a thread with no call before SIGSTOP";
    }

    // ------------------------------------------------------------------------------------------------ domains

    private String disksDomain() {
        if (disks == null) {
            disks = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.raw("vdb", "b.img")));
            bed.manager().domain(disks).setup(bed.folder(disks) + "/esm").execute();
        }
        return disks;
    }

    /** Writes a new pattern into both disks of the (shut-off) domain; @return it */
    private int writeBoth(String dom) {
        int p = PATTERNS.incrementAndGet();
        bed.write(dom, "vda", p);
        bed.write(dom, "vdb", p);
        return p;
    }

    private void assertSnapshotsKeepTheirData(String dom, int current) {
        DomainSnapshots d = bed.manager().domain(dom);
        List<Snapshot> snaps = d.chain().snapshots();
        List<org.junit.jupiter.api.function.Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(List.of(), d.verify()));
        checks.add(() -> assertTrue(bed.reads(dom, "vda", current) && bed.reads(dom, "vdb", current),
                "the current state keeps its data"));
        for (Snapshot s : snaps) {
            checks.add(() -> {
                Integer p = patternOf.get(s.name());
                assertNotNull(p, "a snapshot no test made: " + s.name());
                for (DiskImage img : s.images()) {
                    assertTrue(bed.imageReads(img, p), s.name() + " keeps its data on " + img.path());
                }
            });
        }
        assertAll(checks);
    }

    private record Merge(String dom, int s1, int s2, int current) {
    }

    /**
     * base &lt;- s1 &lt;- s2 &lt;- active: deleting s1 merges s2's image into s1's. With {@code large}, s2 holds
     * 256 MiB, so that the merge runs long enough to be seen running; else 64 KiB.
     */
    private Merge mergeDomain(boolean large) {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "m.qcow2").size(512L << 20)));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", 0x41);
        d.snapshot("s1").create();
        if (large) {
            bed.writeLarge(dom, "vda", 0x42, 256L << 20);
        } else {
            bed.write(dom, "vda", 0x42);
        }
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x43);
        return new Merge(dom, 0x41, 0x42, 0x43);
    }

    private void assertMergeDomainKeepsItsData(Merge m, Recovery r) {
        DomainSnapshots d = bed.manager().domain(m.dom);
        assertAll(
                () -> assertEquals(List.of(), d.verify()),
                () -> assertEquals(r.completed(), d.chain().find("s1").isEmpty(), "s1 is gone iff B completed"),
                () -> assertTrue(d.chain().find("s1").map(s -> bed.imageReads(s.image("vda").orElseThrow(), m.s1))
                        .orElse(true), "s1 keeps its data"),
                () -> assertTrue(bed.imageReads(d.chain().get("s2").image("vda").orElseThrow(), m.s2),
                        "s2 keeps its data"),
                () -> assertTrue(bed.reads(m.dom, "vda", m.current), "the current state keeps its data"));
    }

    /** @return whether a block job runs on the domain's disk (asked on the bed's own connection) */
    private boolean blockJobRunning(String dom, String disk) {
        Connect c = bed.libvirtHost().connectionForTests();
        Domain d = null;
        try {
            d = c.domainLookupByName(dom);
            DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
            return info != null && (info.end > 0 || info.cur > 0);
        } catch (LibvirtException e) {
            return false;
        } finally {
            DomainHandles.free(d);
        }
    }

    private static final Pattern TARGET = Pattern.compile("<target dev=['\"]([^'\"]+)['\"]");

    /** @return whether a merge helper (of any client) that has an image of {@code folder} open runs a block job */
    private boolean helperMerging(String folder) {
        LibvirtHost h = bed.libvirtHost();
        return h.runningDomainNames().stream().filter(n -> n.startsWith(MergeHelpers.PREFIX)).anyMatch(n -> {
            try {
                String xml = h.domainXml(n, true);
                return xml.contains(folder) && TARGET.matcher(xml).results().anyMatch(t -> blockJobRunning(n, t.group(1)));
            } catch (RuntimeException gone) {
                return false;
            }
        });
    }

    private static void awaitOrFail(BooleanSupplier condition, ClientA a, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (!a.process.isAlive() || System.nanoTime() > deadline) {
                fail("never saw: " + what + a.transcript());
            }
            Thread.sleep(5);
        }
    }

    // ---------------------------------------------------------------------------------------------- client A

    /** Client A: an isolated client process running one operation, its markers, its libvirt log, its signals. */
    private final class ClientA implements AutoCloseable {
        final Process process;
        final Path log;
        final String[] op;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> out = Collections.synchronizedList(new ArrayList<>());
        private final List<String> err = Collections.synchronizedList(new ArrayList<>());
        private final Thread outReader;
        private final Thread errReader;
        private final Map<String, Integer> stepsSeen = new HashMap<>();
        private final Process signaller;
        private final java.io.PrintWriter toSignaller;
        private final BufferedReader fromSignaller;
        private long logOffset;
        private final StringBuilder logTail = new StringBuilder();
        Instant stopped;
        Instant continued;

        ClientA(String uri, String dom, String pause, String... op) throws IOException {
            this.op = op;
            this.log = Files.createTempFile(work, "client-a-" + String.join("-", op) + "-", ".libvirt.log");
            Files.delete(log); // libvirt makes it
            List<String> jvm = new ArrayList<>(List.of("-Desm.leaseTtl=" + LEASE, "-D" + ChildOperation.STEPS + "=true"));
            if (pause != null) {
                // "KIND[#n]": at the step's start; "after:KIND[#n]": at its end.
                jvm.add(pause.startsWith("after:") ? "-D" + ChildOperation.PAUSE_AFTER + "=" + pause.substring(6)
                        : "-D" + ChildOperation.PAUSE_AT + "=" + pause);
                jvm.add("-D" + ChildOperation.PAUSE_MILLIS + "=2000");
            }
            String[] args = new String[op.length + 2];
            args[0] = uri;
            args[1] = dom;
            System.arraycopy(op, 0, args, 2, op.length);
            ProcessBuilder pb = IsolatedClient.java(jvm, ChildOperation.class, args);
            pb.environment().putAll(LibvirtCallLog.environment(log));
            process = pb.start();
            outReader = reader(process.getInputStream(), out, true);
            errReader = reader(process.getErrorStream(), err, false);
            // A shell kept open to send signals with its builtin kill: no process to start at the moment of the stop.
            signaller = new ProcessBuilder("sh").redirectErrorStream(true).start();
            toSignaller = new java.io.PrintWriter(signaller.getOutputStream(), true, StandardCharsets.UTF_8);
            fromSignaller = new BufferedReader(new InputStreamReader(signaller.getInputStream(), StandardCharsets.UTF_8));
        }

        private Thread reader(InputStream in, List<String> into, boolean queue) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        into.add(l);
                        if (queue) {
                            lines.add(l);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            }, "client-a-" + (queue ? "out" : "err"));
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Waits for the {@code occurrence}-th {@code STEP <kind>} marker. */
        void awaitStep(String kind, int occurrence) throws InterruptedException {
            awaitMarker("STEP", kind, occurrence);
        }

        /** Waits for the {@code occurrence}-th {@code DONE <kind>} marker (the step ended). */
        void awaitStepDone(String kind, int occurrence) throws InterruptedException {
            awaitMarker("DONE", kind, occurrence);
        }

        /**
         * Waits until A's libvirt log shows a call that {@code wanted} accepts, reading only what was added since the
         * last look (so that the stop follows the call closely).
         */
        void awaitLogged(java.util.function.Predicate<Call> wanted, String what) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && process.isAlive()) {
                if (Files.exists(log)) {
                    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log)) {
                        long size = ch.size();
                        if (size > logOffset) {
                            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - logOffset));
                            ch.read(buf, logOffset);
                            logOffset = size;
                            logTail.append(new String(buf.array(), StandardCharsets.UTF_8));
                            int nl;
                            while ((nl = logTail.indexOf("\n")) >= 0) {
                                String line = logTail.substring(0, nl);
                                logTail.delete(0, nl + 1);
                                if (LibvirtCallLog.parse(line).filter(wanted).isPresent()) {
                                    return;
                                }
                            }
                        }
                    }
                }
                Thread.sleep(1);
            }
            fail("A's log never showed: " + what + transcript());
        }

        private void awaitMarker(String marker, String kind, int occurrence) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                String l = lines.poll(50, TimeUnit.MILLISECONDS);
                if (l == null) {
                    if (!process.isAlive() && lines.isEmpty()) {
                        break;
                    }
                    continue;
                }
                if (l.startsWith(marker + " ")) {
                    String k = l.split(" ")[1];
                    int n = stepsSeen.merge(marker + " " + k, 1, Integer::sum);
                    if (k.equals(kind) && n == occurrence) {
                        return;
                    }
                }
            }
            fail("A never showed " + marker + " " + kind + " #" + occurrence + transcript());
        }

        void stop() throws Exception {
            signal("STOP");
            stopped = Instant.now();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!isStopped()) {
                if (System.nanoTime() > deadline) {
                    fail("A did not stop" + transcript());
                }
                Thread.sleep(2);
            }
        }

        void cont() throws Exception {
            continued = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            signal("CONT");
        }

        private void signal(String sig) throws Exception {
            toSignaller.println("kill -" + sig + " " + process.pid() + " && echo sent || echo failed");
            assertEquals("sent", fromSignaller.readLine(), "kill -" + sig + " " + process.pid());
        }

        /** @return whether the process is stopped (state T in /proc) */
        boolean isStopped() {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
            } catch (IOException gone) {
                return false;
            }
        }

        int awaitExit(Duration wait) throws InterruptedException {
            if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("A did not exit within " + wait + transcript());
            }
            outReader.join(5000);
            errReader.join(5000);
            return process.exitValue();
        }

        List<Call> calls() {
            return LibvirtCallLog.read(log);
        }

        List<String> stdout() {
            synchronized (out) {
                return List.copyOf(out);
            }
        }

        List<String> stderr() {
            synchronized (err) {
                return List.copyOf(err);
            }
        }

        List<String> steps() {
            return stdout().stream().filter(l -> l.startsWith("STEP ")).toList();
        }

        String describe() {
            return String.join(" ", op) + ", pid " + process.pid();
        }

        String transcript() {
            return "\n--- A (" + describe() + ") stdout:\n" + String.join("\n", stdout()) + "\n--- A stderr:\n"
                    + String.join("\n", stderr());
        }

        @Override
        public void close() throws Exception {
            toSignaller.close();
            signaller.waitFor(5, TimeUnit.SECONDS);
            if (process.isAlive()) {
                new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor();
                new ProcessBuilder("kill", "-9", "--", "-" + process.pid()).start().waitFor();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
