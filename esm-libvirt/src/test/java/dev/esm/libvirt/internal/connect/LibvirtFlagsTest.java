package dev.esm.libvirt.internal.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.core.port.SnapshotFlag;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import dev.esm.libvirt.internal.connect.LibvirtFlags;

/** Each ESM flag maps to libvirt's bit, checked against libvirt-java's copy of libvirt's header. */
class LibvirtFlagsTest {
    @Test
    void diskOnlyIsLibvirtsDiskOnlyBit() {
        assertEquals(Domain.SnapshotCreateFlags.DISK_ONLY, LibvirtFlags.snapshotCreate(Set.of(SnapshotFlag.DISK_ONLY)));
    }

    @Test
    void reuseExternalIsLibvirtsReuseExtBit() {
        assertEquals(Domain.SnapshotCreateFlags.REUSE_EXT,
                LibvirtFlags.snapshotCreate(Set.of(SnapshotFlag.REUSE_EXTERNAL)));
    }

    @Test
    void atomicIsLibvirtsAtomicBit() {
        assertEquals(Domain.SnapshotCreateFlags.ATOMIC, LibvirtFlags.snapshotCreate(Set.of(SnapshotFlag.ATOMIC)));
    }

    @Test
    void quiesceIsLibvirtsQuiesceBit() {
        assertEquals(Domain.SnapshotCreateFlags.QUIESCE, LibvirtFlags.snapshotCreate(Set.of(SnapshotFlag.QUIESCE)));
    }

    @Test
    void flagsCombineAsABitwiseOr() {
        assertEquals(Domain.SnapshotCreateFlags.DISK_ONLY | Domain.SnapshotCreateFlags.REUSE_EXT
                        | Domain.SnapshotCreateFlags.ATOMIC | Domain.SnapshotCreateFlags.QUIESCE,
                LibvirtFlags.snapshotCreate(EnumSet.allOf(SnapshotFlag.class)));
        assertEquals(0, LibvirtFlags.snapshotCreate(Set.of()));
    }

    @Test
    void redefineUsesRedefineAndOptionallyCurrent() {
        assertEquals(Domain.SnapshotCreateFlags.REDEFINE, LibvirtFlags.snapshotRedefine(false));
        assertEquals(Domain.SnapshotCreateFlags.REDEFINE | Domain.SnapshotCreateFlags.CURRENT,
                LibvirtFlags.snapshotRedefine(true));
    }

    @Test
    void deleteMetadataOnlyIsLibvirtsBit() {
        assertEquals(DomainSnapshot.SnapshotDeleteFlags.METADATA_ONLY, LibvirtFlags.SNAPSHOT_DELETE_METADATA_ONLY);
    }

    @Test
    void activeCommitAndPivotAreLibvirtsBits() {
        assertEquals(Domain.BlockCommitFlags.ACTIVE, LibvirtFlags.BLOCK_COMMIT_ACTIVE);
        assertEquals(Domain.BlockJobAbortFlags.PIVOT, LibvirtFlags.BLOCK_JOB_ABORT_PIVOT);
    }

    @Test
    void aPivotNotWaitedForIsLibvirtsAsyncBit() {
        assertEquals(Domain.BlockJobAbortFlags.ASYNC, LibvirtFlags.BLOCK_JOB_ABORT_ASYNC);
        assertEquals(Domain.BlockJobAbortFlags.ASYNC | Domain.BlockJobAbortFlags.PIVOT,
                LibvirtFlags.BLOCK_JOB_ABORT_ASYNC | LibvirtFlags.BLOCK_JOB_ABORT_PIVOT);
    }

    /** libvirt-java 0.5.4 has no copy of {@code virDomainSaveRestoreFlags}: the values of libvirt-domain.h. */
    @Test
    void restoreRunningOrPausedIsLibvirtsSaveRunningOrSavePausedBit() {
        assertEquals(2, LibvirtFlags.restore(false), "VIR_DOMAIN_SAVE_RUNNING = 1 << 1");
        assertEquals(4, LibvirtFlags.restore(true), "VIR_DOMAIN_SAVE_PAUSED = 1 << 2");
    }

    @Test
    void aMergeHelperStartsPausedAndIsDestroyedWithItsConnection() {
        assertEquals(Domain.CreateFlags.PAUSED | Domain.CreateFlags.AUTODESTROY, LibvirtFlags.helperStart());
    }

    @Test
    void hotPlugAffectsTheLiveDomainOnly() {
        assertEquals(Domain.DeviceModifyFlags.LIVE, LibvirtFlags.AFFECT_LIVE);
    }

    @Test
    void poolCreateWithBuildIsLibvirtsBit() {
        assertEquals(1, LibvirtFlags.POOL_CREATE_WITH_BUILD, "VIR_STORAGE_POOL_CREATE_WITH_BUILD = 1 << 0");
    }

    @Test
    void saveImageXmlSecureIsLibvirtsBit() {
        assertEquals(1, LibvirtFlags.SAVE_IMAGE_XML_SECURE, "VIR_DOMAIN_SAVE_IMAGE_XML_SECURE = 1 << 0");
    }

    @Test
    void aMemorySnapshotIsTheDiskOnlyRequestWithoutTheDiskOnlyBit() {
        assertEquals(Domain.SnapshotCreateFlags.REUSE_EXT | Domain.SnapshotCreateFlags.ATOMIC,
                LibvirtFlags.snapshotCreate(EnumSet.of(SnapshotFlag.REUSE_EXTERNAL, SnapshotFlag.ATOMIC)));
    }

    @Test
    void xmlFlagsAreLibvirtsSecureAndInactiveBits() {
        assertEquals(DomainSnapshot.XMLFlags.SECURE, LibvirtFlags.SNAPSHOT_XML_SECURE);
        assertEquals(Domain.XMLFlags.SECURE | Domain.XMLFlags.INACTIVE, LibvirtFlags.domainXml(false));
        assertEquals(Domain.XMLFlags.SECURE, LibvirtFlags.domainXml(true));
    }

    @Test
    void affectConfigIsLibvirtsPersistentDefinitionBit() {
        assertEquals(Domain.ModificationImpact.CONFIG, LibvirtFlags.AFFECT_CONFIG);
    }

    @Test
    void metadataElementIsLibvirtsElementType() {
        assertEquals(Domain.MetadataType.ELEMENT, LibvirtFlags.METADATA_ELEMENT);
    }

    /**
     * libvirt-java 0.5.4 has no copy of {@code virDomainBlockRebaseFlags}: a pull is the rebase with none of them
     * (libvirt-domain.h: SHALLOW 1, REUSE_EXT 2, COPY_RAW 4, COPY 8, RELATIVE 16, COPY_DEV 32), whose job libvirt
     * reports as {@code VIR_DOMAIN_BLOCK_JOB_TYPE_PULL}.
     */
    @Test
    void aBlockPullIsTheRebaseWithNoFlag() {
        assertEquals(0, LibvirtFlags.BLOCK_REBASE_PULL);
        assertEquals(1, Domain.BlockJobType.PULL, "the job a flagless rebase starts");
    }

    @Test
    void undefineKeepingFilesRemovesSnapshotMetadataAndKeepsTheNvramFile() {
        // virDomainUndefineFlagsValues: SNAPSHOTS_METADATA = 1 << 1, KEEP_NVRAM = 1 << 3 (NVRAM, 1 << 2, would delete it)
        assertEquals(2, LibvirtFlags.UNDEFINE_SNAPSHOTS_METADATA);
        assertEquals(8, LibvirtFlags.UNDEFINE_KEEP_NVRAM);
        assertEquals(10, LibvirtFlags.undefineKeepingFiles());
    }

    @Test
    void aMovesMigrationIsLiveIncrementalDefinedThereAndUndefinedHere() {
        // virDomainMigrateFlags: LIVE 1, PEER2PEER 2 (not used: the client drives it), TUNNELLED 4, PERSIST_DEST 8,
        // UNDEFINE_SOURCE 16, PAUSED 32, NON_SHARED_DISK 64 (a full copy), NON_SHARED_INC 128
        assertEquals(1, LibvirtFlags.MIGRATE_LIVE);
        assertEquals(8, LibvirtFlags.MIGRATE_PERSIST_DEST);
        assertEquals(16, LibvirtFlags.MIGRATE_UNDEFINE_SOURCE);
        assertEquals(128, LibvirtFlags.MIGRATE_NON_SHARED_INC);
        assertEquals(1 | 8 | 16 | 128, LibvirtFlags.moveMigration(false));
        assertEquals(32, LibvirtFlags.MIGRATE_PAUSED);
        assertEquals(1 | 8 | 16 | 32 | 128, LibvirtFlags.moveMigration(true));
    }

    @Test
    void theMigratableDefinitionIsSecureAndInactiveForThePersistentOne() {
        // virDomainXMLFlags: SECURE 1, INACTIVE 2, UPDATE_CPU 4, MIGRATABLE 8
        assertEquals(8, LibvirtFlags.DOMAIN_XML_MIGRATABLE);
        assertEquals(1 | 8, LibvirtFlags.migratableXml(false));
        assertEquals(1 | 2 | 8, LibvirtFlags.migratableXml(true));
    }

    @Test
    void aCpuComparisonFailsWithTheReasonWhenIncompatible() {
        // virConnectCompareCPUFlags: FAIL_INCOMPATIBLE 1, VALIDATE_XML 2
        assertEquals(1, LibvirtFlags.COMPARE_CPU_FAIL_INCOMPATIBLE);
    }
}
