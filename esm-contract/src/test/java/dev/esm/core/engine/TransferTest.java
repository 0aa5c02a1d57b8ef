package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Replication;
import dev.esm.api.StepKind;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.plan.TransferStep;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Moves and replications between two fake hosts that share no storage. */
class TransferTest {
    /** A stop that is not an exception the move can handle: as if the process were killed there. */
    private static final class Killed extends Error {
    }

    private static StepListener killingBefore(Class<? extends TransferStep> kind, boolean asKill) {
        return new StepListener() {
            @Override
            public void beforeStep(dev.esm.core.plan.OperationPlan plan, int index, dev.esm.core.plan.Step step) {
            }

            @Override
            public void beforeTransferStep(dev.esm.core.plan.TransferPlan plan, int index, TransferStep step) {
                if (kind.isInstance(step)) {
                    if (asKill) {
                        throw new Killed();
                    }
                    throw new IllegalStateException("failed before " + step);
                }
            }
        };
    }

    private final FakeBed here = new FakeBed("fake:///here");
    private final FakeBed there = new FakeBed("fake:///there");

    /** A domain set up with s1 (0x11), s2 (0x22, child of s1), and 0x33 unsaved in its active layer. */
    private String domain() {
        String dom = here.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2")));
        DomainSnapshots d = here.manager().domain(dom);
        d.setup("/fake/" + dom + "/esm").execute();
        here.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        here.write(dom, "vda", 0x22);
        d.snapshot("s2").create();
        here.write(dom, "vda", 0x33);
        return dom;
    }

    private static boolean gone(FakeBed bed, String dom) {
        try {
            bed.manager().domain(dom);
            return false;
        } catch (DomainNotFoundException e) {
            return true;
        }
    }

    private void assertTreeReads(FakeBed bed, String dom) {
        DomainSnapshots d = bed.manager().domain(dom);
        assertEquals(List.of("s1", "s2"), d.chain().snapshots().stream().map(s -> s.name()).sorted().toList());
        assertEquals(List.of(), d.check(), "the domain there is consistent");
        d.revert("s1").execute();
        assertTrue(bed.reads(dom, "vda", 0x11), "s1's data");
        d.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x22), "s2's data");
    }

    @Test
    void aMoveCarriesEverySnapshotAndTheUnsavedDataAndLeavesNothingOfTheDomainHere() {
        String dom = domain();
        List<String> filesBefore = List.copyOf(here.storage().files()).stream().filter(f -> f.startsWith("/fake/" + dom)).toList();
        DomainSnapshots moved = here.manager().domain(dom).moveTo(there.manager()).execute();
        assertEquals(dom, moved.name());
        assertTrue(there.reads(dom, "vda", 0x33), "the active layer's unsaved data arrived");
        assertTrue(gone(here, dom), "the domain is no longer defined here");
        assertEquals(List.of(), here.storage().files().stream().filter(filesBefore::contains).toList(),
                "no file of the domain is left here");
        assertTreeReads(there, dom);
    }

    @Test
    void aMoveIntoAnotherFolderRewritesEveryPathAndEveryChainStillReads() {
        String dom = domain();
        here.manager().domain(dom).moveTo(there.manager()).path("/elsewhere/" + dom).execute();
        assertTrue(there.storage().files().stream().filter(f -> !f.startsWith("/fake-state"))
                .allMatch(f -> f.startsWith("/elsewhere/" + dom)), String.valueOf(there.storage().files()));
        assertTrue(there.reads(dom, "vda", 0x33));
        assertTreeReads(there, dom);
    }

    @Test
    void aMovePlanCopiesThenVerifiesBeforeItRemovesAnythingHereAndChangesNothing() {
        String dom = domain();
        java.util.Set<String> files = here.storage().files();
        var plan = here.manager().domain(dom).moveTo(there.manager()).plan();
        List<StepKind> kinds = plan.steps().stream().map(s -> s.kind()).toList();
        int verify = kinds.indexOf(StepKind.VERIFY_TARGET);
        assertTrue(verify > kinds.lastIndexOf(StepKind.COPY_FILE), plan.render());
        assertTrue(verify < kinds.indexOf(StepKind.UNDEFINE_DOMAIN), plan.render());
        assertEquals(files, here.storage().files(), "a plan changes nothing");
        assertTrue(gone(there, dom));
    }

    @Test
    void aSecondReplicationSendsOnlyTheNewSnapshotsImagesAndTheStandbyRunsTheLastSnapshot() {
        String dom = domain();
        Replication first = here.manager().domain(dom).replicateTo(there.manager()).execute();
        assertFalse(first.copied().isEmpty());
        assertTrue(first.kept().isEmpty());
        assertTrue(there.reads(dom, "vda", 0x22), "the standby's disk shows the current snapshot, s2");
        here.manager().domain(dom).snapshot("s3").create();
        Replication second = here.manager().domain(dom).replicateTo(there.manager()).execute();
        assertTrue(second.kept().containsAll(first.copied()), "what the first run sent stays: " + second);
        assertEquals(2, second.copied().size(), "only s3's two images travel: " + second);
        assertTrue(there.reads(dom, "vda", 0x33), "the standby now shows s3");
        assertEquals(3, there.manager().domain(dom).chain().snapshots().size());
    }

    @Test
    void aMoveOntoAStandbyCopiesOnlyTheActiveLayers() {
        String dom = domain();
        Replication first = here.manager().domain(dom).replicateTo(there.manager()).execute();
        var plan = here.manager().domain(dom).moveTo(there.manager()).plan();
        long copies = plan.steps().stream().filter(s -> s.kind() == StepKind.COPY_FILE).count();
        assertEquals(2, copies, plan.render());
        here.manager().domain(dom).moveTo(there.manager()).execute();
        assertTrue(there.reads(dom, "vda", 0x33));
        assertTreeReads(there, dom);
        assertFalse(first.copied().isEmpty());
    }

    @Test
    void aMoveStoppedBeforeTheTargetWasVerifiedIsUndoneThereAndTheNextRunMovesIt() {
        String dom = domain();
        here.injecting(killingBefore(TransferStep.Verify.class, true));
        assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        here.restart();
        assertTrue(here.reads(dom, "vda", 0x33), "the domain is whole here");
        here.manager().domain(dom).moveTo(there.manager()).execute();
        assertTrue(gone(here, dom));
        assertTreeReads(there, dom);
    }

    @Test
    void aMoveStoppedAfterTheTargetWasVerifiedIsCompletedByTheNextRun() {
        String dom = domain();
        here.injecting(killingBefore(TransferStep.RemoveHere.class, true));
        assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        here.restart();
        assertThrows(DomainNotFoundException.class, () -> here.manager().domain(dom));
        assertTreeReads(there, dom);
    }

    @Test
    void aMoveStoppedPartWayNamesInItsJournalOnBothHostsHowItReachedEachSoThatARecoveryReachesThemSo() {
        String dom = domain();
        String uuid = dev.esm.core.xml.DomainXml.parse(here.host().domainXml(dom, false)).uuid();
        there.manager(b -> b.imageAccess(dev.esm.api.ImageAccess.LIBVIRT_STORAGE));
        here.injecting(killingBefore(TransferStep.Verify.class, true));
        assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        String key = new TransferKeys(uuid).journal();
        for (FakeBed side : List.of(here, there)) {
            dev.esm.core.plan.TransferJournal j = dev.esm.core.plan.TransferJournal.read(
                    side.host().stateStore().readJournal(key).orElseThrow());
            assertEquals(dev.esm.api.ImageAccess.LOCAL_FILES, j.sourceAccess(), "fake:///here, by its URI");
            assertEquals(dev.esm.api.ImageAccess.LIBVIRT_STORAGE, j.targetAccess(), "as the target's manager was made");
        }
        here.restart();
        assertTrue(here.manager().domain(dom).recover());
        assertTrue(here.reads(dom, "vda", 0x33), "the domain is whole here");
    }

    @Test
    void aRunningDomainIsNotMovedAndADomainOfTheSameNameThereIsRefused() {
        String dom = domain();
        here.start(dom);
        assertThrows(DomainStateException.class, () -> here.manager().domain(dom).moveTo(there.manager()).plan());
        here.stop(dom);
        there.newDomain(List.of(DiskSpec.qcow2("vda", "x.qcow2")));
        String other = there.newDomain(List.of(DiskSpec.qcow2("vda", "y.qcow2")));
        assertFalse(other.isEmpty());
        assertThrows(InvalidOperationException.class,
                () -> here.manager().domain(dom).moveTo(there.manager()).path("relative/dir"));
        assertThrows(InvalidOperationException.class, () -> here.manager().domain(dom).moveTo(here.manager()));
    }

    @Test
    void aMoveThatFailsWhileCopyingIsUndoneAtOnceAndKeepsThereOnlyTheFrozenCopiesWhichTheNextRunDoesNotSendAgain() {
        String dom = domain();
        here.injecting(killingBefore(TransferStep.Verify.class, false));
        assertThrows(IllegalStateException.class, () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        assertTrue(gone(there, dom), "the target's definition is removed");
        assertTrue(here.reads(dom, "vda", 0x33));
        assertEquals(2, here.manager().domain(dom).chain().snapshots().size());
        List<String> kept = there.storage().files().stream().filter(f -> f.startsWith("/fake/")).toList();
        java.util.Set<String> frozen = new java.util.HashSet<>();
        here.manager().domain(dom).chain().snapshots().forEach(s -> s.images().forEach(i -> frozen.add(i.path())));
        assertFalse(kept.isEmpty(), "the frozen copies stay there");
        assertTrue(frozen.containsAll(kept.stream().filter(f -> f.endsWith(".qcow2")).toList()),
                "no active layer stays: " + kept);

        here.injecting((plan, index, step) -> { });
        var again = here.manager().domain(dom).moveTo(there.manager()).plan();
        assertFalse(again.steps().stream().anyMatch(st -> st.kind() == StepKind.COPY_FILE
                && frozen.contains(st.paths().get(0))), "no snapshot's image is sent again: " + again.render());
        here.manager().domain(dom).moveTo(there.manager()).execute();
        assertTreeReads(there, dom);
    }

    @Test
    void aLiveMoveCopiesTheFrozenImagesThenMigratesOnlyTheActiveLayersAndRedefinesTheSnapshotsThere() {
        String dom = domain();
        here.start(dom);
        here.write(dom, "vda", 0x44);
        var plan = here.manager().domain(dom).moveTo(there.manager()).live().plan();
        List<StepKind> kinds = plan.steps().stream().map(s -> s.kind()).toList();
        assertTrue(kinds.indexOf(StepKind.MIGRATE) > kinds.lastIndexOf(StepKind.COPY_FILE), plan.render());
        assertFalse(plan.steps().stream().anyMatch(s -> s.kind() == StepKind.COPY_FILE
                && s.paths().get(0).contains("top")), "no active layer is copied before the migration");
        DomainSnapshots moved = here.manager().domain(dom).moveTo(there.manager()).live().execute();
        assertEquals(dev.esm.api.DomainState.RUNNING, moved.state(), "it runs there");
        assertTrue(there.reads(dom, "vda", 0x44), "with what the guest wrote while it ran here");
        assertTrue(gone(here, dom));
        there.stop(dom);
        assertTreeReads(there, dom);
    }

    @Test
    void aLiveMoveWhoseMigrationFailsPutsTheSnapshotsBackAndTheGuestRunsOnHere() {
        String dom = domain();
        here.start(dom);
        here.injecting(killingBefore(TransferStep.Migrate.class, false));
        assertThrows(IllegalStateException.class, () -> here.manager().domain(dom).moveTo(there.manager()).live()
                .execute());
        DomainSnapshots d = here.manager().domain(dom);
        assertEquals(dev.esm.api.DomainState.RUNNING, d.state());
        assertEquals(List.of("s1", "s2"), d.chain().snapshots().stream().map(s -> s.name()).sorted().toList());
        assertEquals(java.util.Optional.of("s2"), d.chain().current().map(s -> s.name()));
        assertTrue(gone(there, dom));
    }

    @Test
    void aLiveMoveKilledAfterTheMigrationIsCompletedFromTheTargetWithTheJournalItKeepsThere() {
        String dom = domain();
        here.start(dom);
        here.injecting(killingBefore(TransferStep.Redefine.class, true));
        assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(there.manager()).live().execute());
        assertTrue(gone(here, dom), "the migration had run");
        there.stop(dom);
        assertEquals(0, there.manager().domain(dom).chain().snapshots().size(), "the metadata is still aside");
        // The domain is gone here: recovery starts from the target, which finds the move's journal there. This
        // fake host cannot be reached by its URI, so the target redefines the metadata from the journal alone.
        assertTrue(there.manager().domain(dom).recover());
        assertTreeReads(there, dom);
    }

    @Test
    void aMoveKilledHalfWayIsUndoneFromThisHostWithTheTargetReachedThroughItsStorageAsTheMoveReachedIt() {
        // A target the move was given with LIBVIRT_STORAGE on a URI AUTO would take for local files (a second
        // daemon's UNIX socket): a recovery that reached it as local files would look for its journal and remove
        // its files on the wrong machine.
        String uri = "reachable-fake:///there-" + java.util.UUID.randomUUID();
        FakeBed target = new FakeBed(uri);
        target.configured(dev.esm.api.SnapshotManager.builder(uri).imageAccess(dev.esm.api.ImageAccess.LIBVIRT_STORAGE)
                .settings(), (p, i, s) -> { });
        ReachableFakes.register(uri, target.host());
        try {
            String dom = domain();
            here.injecting(killingBefore(TransferStep.Define.class, true));
            assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(target.manager()).execute());
            assertFalse(target.storage().files().stream().noneMatch(f -> f.startsWith("/fake/")), "files were sent");
            here.restart();
            assertTrue(here.manager().domain(dom).recover());
            assertEquals(List.of(dev.esm.api.ImageAccess.LIBVIRT_STORAGE), ReachableFakes.opened(uri),
                    "the target was reached as the move reached it");
            java.util.Set<String> frozen = new java.util.HashSet<>();
            here.manager().domain(dom).chain().snapshots().forEach(s -> s.images().forEach(i -> frozen.add(i.path())));
            assertTrue(target.storage().files().stream().filter(f -> f.startsWith("/fake/"))
                    .allMatch(f -> frozen.contains(f) || f.endsWith(".base")),
                    "only the frozen copies stay there, for the next run: " + target.storage().files());
            assertTrue(gone(target, dom));
            assertTreeReads(here, dom);
        } finally {
            ReachableFakes.unregister(uri);
        }
    }

    @Test
    void aCancelledMoveIsUndoneAndTheDomainStaysWholeHere() {
        String dom = domain();
        var move = here.manager().domain(dom).moveTo(there.manager());
        move.progress(p -> move.cancel());
        assertThrows(dev.esm.api.errors.OperationCancelledException.class, move::execute);
        assertTrue(gone(there, dom));
        assertEquals(List.of(), there.storage().files().stream().filter(f -> f.startsWith("/fake/")).toList());
        assertTrue(here.reads(dom, "vda", 0x33));
        assertEquals(List.of(), here.manager().domain(dom).check());
    }

    @Test
    void betweenHostsThatShareStorageAMoveSendsOnlyTheDefinitionsAndLeavesEveryFileInPlace() {
        String dom = domain();
        java.util.Set<String> files = java.util.Set.copyOf(here.storage().files());
        CoreSnapshotManager shared = new CoreSnapshotManager(new dev.esm.core.fake.FakeHost(here.storage(),
                java.time.Clock.systemUTC(), "fake:///shared"));
        var plan = here.manager().domain(dom).moveTo(shared).plan();
        assertFalse(plan.steps().stream().anyMatch(s -> s.kind() == StepKind.COPY_FILE
                || s.kind() == StepKind.REMOVE_FILE), plan.render());
        DomainSnapshots moved = here.manager().domain(dom).moveTo(shared).execute();
        assertTrue(gone(here, dom));
        assertEquals(List.of("s1", "s2"), moved.chain().snapshots().stream().map(s -> s.name()).sorted().toList());
        assertTrue(here.storage().files().containsAll(files.stream().filter(f -> f.startsWith("/fake/")).toList()),
                "every file stays where it is");
        assertThrows(InvalidOperationException.class, () -> moved.replicateTo(here.manager()).plan(),
                "a standby on shared storage would share the domain's disks");
    }

    @Test
    void aMoveThatDoesNotFitInTheTargetsFolderIsRefusedBeforeAnythingIsCopied() {
        String dom = domain();
        there.storage().freeBytes(1000);
        dev.esm.api.errors.StorageException e = assertThrows(dev.esm.api.errors.StorageException.class,
                () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        assertTrue(e.getMessage().contains("not enough space"), e.getMessage());
        assertEquals(List.of(), there.storage().files().stream().filter(f -> f.startsWith("/fake/")).toList());
        assertTrue(here.reads(dom, "vda", 0x33));
        there.storage().freeBytes(-1);
        here.manager().domain(dom).moveTo(there.manager()).execute();
        assertTreeReads(there, dom);
    }

    @Test
    void aMoveTellsTheOperationListenerOfItsStartEachStepAndItsEnd() {
        String dom = domain();
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.esm.api.OperationListener listener = new dev.esm.api.OperationListener() {
            @Override
            public void operationStarted(dev.esm.api.OperationEvent e) {
                heard.add("start " + e.operation() + " " + e.target());
            }

            @Override
            public void stepFinished(dev.esm.api.StepEvent e) {
                heard.add("step " + e.step().kind() + " " + e.outcome());
            }

            @Override
            public void operationFinished(dev.esm.api.OperationEvent e) {
                heard.add("end " + e.outcome());
            }
        };
        here.configured(dev.esm.api.SnapshotManager.builder("test:///fake").listener(listener).settings(),
                (p, i, s) -> { });
        here.manager().domain(dom).moveTo(there.manager()).execute();
        assertEquals("start MOVE fake:///there", heard.get(0), String.valueOf(heard));
        assertTrue(heard.contains("step VERIFY_TARGET SUCCEEDED"), String.valueOf(heard));
        assertEquals("end SUCCEEDED", heard.get(heard.size() - 1));
    }

    @Test
    void anEmulatedTpmsStateAndEverySnapshotsCopyOfItTravelAndARevertThereRestoresTheSnapshotsState() {
        String dom = here.newTpmDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        DomainSnapshots d = here.manager().domain(dom);
        d.setup("/fake/" + dom + "/esm").execute();
        here.writeTpmState(dom, 0x51);
        d.snapshot("s1").create();
        String atS1 = here.fileHash(here.tpmStateFile(dom));
        here.writeTpmState(dom, 0x52);
        String now = here.fileHash(here.tpmStateFile(dom));
        String stateHere = here.tpmStateFile(dom);

        DomainSnapshots moved = d.moveTo(there.manager()).path("/elsewhere/" + dom).execute();
        String state = there.tpmStateFile(dom);
        assertEquals(stateHere, state, "libvirt's folder for the TPM, by the same UUID");
        assertEquals(now, there.fileHash(state), "the TPM's current state arrived");
        assertFalse(here.storage().files().contains(state), "and is gone here");
        moved.revert("s1").execute();
        assertEquals(atS1, there.fileHash(state), "s1's copy travelled with it");
    }

    /** A firmware domain set up with s1, running, and a listener that writes its variables as it migrates. */
    private String runningFirmwareDomain() {
        String dom = here.newFirmwareDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        DomainSnapshots d = here.manager().domain(dom);
        d.setup("/fake/" + dom + "/esm").execute();
        here.writeFirmware(dom, 0x61);
        d.snapshot("s1").create();
        here.start(dom);
        return dom;
    }

    /** @param killBefore the step before which it stops as if killed; null for none */
    private StepListener writingFirmwareAtTheMigration(String dom, Class<? extends TransferStep> killBefore) {
        return new StepListener() {
            @Override
            public void beforeStep(dev.esm.core.plan.OperationPlan plan, int index, dev.esm.core.plan.Step step) {
            }

            @Override
            public void beforeTransferStep(dev.esm.core.plan.TransferPlan plan, int index, TransferStep step) {
                if (step instanceof TransferStep.Migrate) {
                    here.writeFirmware(dom, 0x62); // the guest writes its variables after they were copied there
                }
                if (killBefore != null && killBefore.isInstance(step)) {
                    throw new Killed();
                }
            }
        };
    }

    @Test
    void aLiveMoveCopiesTheFirmwareVariablesAgainAfterTheMigrationWhileTheGuestWaitsPausedThere() {
        String dom = runningFirmwareDomain();
        String vars = here.firmwareFile(dom);
        var plan = here.manager().domain(dom).moveTo(there.manager()).live().plan();
        List<StepKind> kinds = plan.steps().stream().map(s -> s.kind()).toList();
        int migrate = kinds.indexOf(StepKind.MIGRATE);
        assertEquals(List.of(StepKind.COPY_FILE, StepKind.RESUME_DOMAIN), kinds.subList(migrate + 1, migrate + 3),
                plan.render());
        here.injecting(writingFirmwareAtTheMigration(dom, null));
        // Into a folder: the variables file, from elsewhere, lands in ESM's folder there, and is still the domain's.
        DomainSnapshots moved = here.manager().domain(dom).moveTo(there.manager()).live().path("/elsewhere/" + dom)
                .execute();
        assertEquals(dev.esm.api.DomainState.RUNNING, moved.state(), "resumed there");
        assertTrue(there.fileReads("/elsewhere/" + dom + "/" + dev.esm.core.model.Names.fileName(vars), 0x62),
                "the variables as the guest left them here, not as first copied");
        assertEquals(List.of(), moved.check());
    }

    @Test
    void aLiveMoveKilledWhileTheGuestWaitsPausedThereIsResumedWithItsVariablesByRecovery() {
        String dom = runningFirmwareDomain();
        String vars = here.firmwareFile(dom);
        here.injecting(writingFirmwareAtTheMigration(dom, TransferStep.Firmware.class));
        assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(there.manager()).live().execute());
        assertEquals(dev.esm.api.DomainState.PAUSED, there.manager().domain(dom).state());
        assertTrue(there.manager().domain(dom).recover());
        assertEquals(dev.esm.api.DomainState.RUNNING, there.manager().domain(dom).state());
        assertEquals(1, there.manager().domain(dom).chain().snapshots().size());
    }

    @Test
    void aMoveKilledAfterItUndefinedTheDomainHereIsCompletedWhenTheDomainIsOpenedHereByName() {
        String uri = "reachable-fake:///there-" + java.util.UUID.randomUUID();
        FakeBed target = new FakeBed(uri);
        ReachableFakes.register(uri, target.host());
        try {
            String dom = domain();
            java.util.Set<String> files = java.util.Set.copyOf(here.storage().files());
            here.injecting(killingBefore(TransferStep.RemoveHere.class, true));
            assertThrows(Killed.class, () -> here.manager().domain(dom).moveTo(target.manager()).execute());
            here.restart();
            DomainNotFoundException told = assertThrows(DomainNotFoundException.class,
                    () -> here.manager().domain(dom));
            assertTrue(told.getMessage().contains("completed now") && told.getMessage().contains(uri),
                    told.getMessage());
            assertEquals(List.of(), here.storage().files().stream().filter(files::contains)
                    .filter(f -> f.startsWith("/fake/")).toList(), "its files here are removed");
            assertTreeReads(target, dom);
            assertThrows(DomainNotFoundException.class, () -> here.manager().domain(dom));
        } finally {
            ReachableFakes.unregister(uri);
        }
    }

    @Test
    void aMoveThatWouldReplaceAFileTheTargetHasAndEsmDidNotPutThereIsRefusedBeforeAnythingIsCopied() {
        String dom = domain();
        var plan = here.manager().domain(dom).moveTo(there.manager()).plan();
        String taken = plan.steps().stream().filter(st -> st.kind() == StepKind.COPY_FILE).reduce((a, b) -> b)
                .orElseThrow().paths().get(1); // the last copy's path there: another domain's file, say
        there.storage().addImage(taken, dev.esm.api.ImageFormat.RAW, 4096);
        String before = there.fileHash(taken);
        InvalidOperationException refused = assertThrows(InvalidOperationException.class,
                () -> here.manager().domain(dom).moveTo(there.manager()).execute());
        assertTrue(refused.getMessage().contains(taken), refused.getMessage());
        assertEquals(before, there.fileHash(taken), "the target's file is untouched");
        assertEquals(List.of(taken), there.storage().files().stream().filter(f -> f.startsWith("/fake/")).toList(),
                "nothing was copied there");
        assertFalse(gone(here, dom));
        here.manager().domain(dom).moveTo(there.manager()).path("/elsewhere/" + dom).execute(); // another folder
        assertTreeReads(there, dom);
    }
}
