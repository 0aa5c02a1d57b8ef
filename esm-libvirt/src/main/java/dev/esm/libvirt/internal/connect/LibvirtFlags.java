package dev.esm.libvirt.internal.connect;

import dev.esm.core.port.SnapshotFlag;
import java.util.Set;

/**
 * The one place where ESM's enums become libvirt's bit masks. Values are libvirt's public header constants
 * ({@code libvirt-domain-snapshot.h}, {@code libvirt-domain.h}); a test checks each against libvirt-java.
 */
public final class LibvirtFlags {
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE} */
    public static final int SNAPSHOT_CREATE_REDEFINE = 1;
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT} */
    public static final int SNAPSHOT_CREATE_CURRENT = 1 << 1;
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY} */
    public static final int SNAPSHOT_CREATE_DISK_ONLY = 1 << 4;
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT} */
    public static final int SNAPSHOT_CREATE_REUSE_EXT = 1 << 5;
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE} */
    public static final int SNAPSHOT_CREATE_QUIESCE = 1 << 6;
    /** {@code VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC} */
    public static final int SNAPSHOT_CREATE_ATOMIC = 1 << 7;
    /** {@code VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY} */
    public static final int SNAPSHOT_DELETE_METADATA_ONLY = 1 << 1;
    /** {@code VIR_DOMAIN_SNAPSHOT_XML_SECURE} */
    public static final int SNAPSHOT_XML_SECURE = 1;
    /** {@code VIR_DOMAIN_XML_SECURE} */
    public static final int DOMAIN_XML_SECURE = 1;
    /** {@code VIR_DOMAIN_XML_INACTIVE} */
    public static final int DOMAIN_XML_INACTIVE = 1 << 1;
    /** {@code VIR_DOMAIN_BLOCK_COMMIT_ACTIVE} */
    public static final int BLOCK_COMMIT_ACTIVE = 1 << 2;
    /** {@code VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT} */
    public static final int BLOCK_JOB_ABORT_PIVOT = 1 << 1;
    /** {@code VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC} */
    public static final int BLOCK_JOB_ABORT_ASYNC = 1;
    /**
     * {@code virDomainBlockRebase} with none of {@code virDomainBlockRebaseFlags} (not {@code SHALLOW},
     * {@code REUSE_EXT}, {@code COPY}, {@code RELATIVE}): a block pull of the images above the base into the active
     * layer (a block job of type {@code VIR_DOMAIN_BLOCK_JOB_TYPE_PULL})
     */
    public static final int BLOCK_REBASE_PULL = 0;
    /** {@code VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP} */
    public static final int QEMU_MONITOR_COMMAND_HMP = 1;
    /** {@code VIR_DOMAIN_SAVE_RUNNING} ({@code virDomainSaveRestoreFlags}; libvirt-java 0.5.4 has no copy) */
    public static final int SAVE_RUNNING = 1 << 1;
    /** {@code VIR_DOMAIN_SAVE_PAUSED} */
    public static final int SAVE_PAUSED = 1 << 2;
    /** {@code VIR_DOMAIN_SAVE_IMAGE_XML_SECURE} ({@code virDomainSaveImageXMLFlags}) */
    public static final int SAVE_IMAGE_XML_SECURE = 1;

    /** {@code VIR_DOMAIN_START_PAUSED} */
    public static final int DOMAIN_START_PAUSED = 1;
    /** {@code VIR_DOMAIN_START_AUTODESTROY}: libvirtd destroys the domain when the starting connection closes */
    public static final int DOMAIN_START_AUTODESTROY = 1 << 1;
    /** {@code VIR_DOMAIN_AFFECT_LIVE} ({@code virDomainModificationImpact}, for device attach and detach) */
    public static final int AFFECT_LIVE = 1;
    /** {@code VIR_DOMAIN_AFFECT_CONFIG} ({@code virDomainModificationImpact}): the persistent definition */
    public static final int AFFECT_CONFIG = 1 << 1;
    /** {@code VIR_DOMAIN_METADATA_ELEMENT} ({@code virDomainMetadataType}): an XML element in a namespace */
    public static final int METADATA_ELEMENT = 2;
    /** {@code VIR_STORAGE_POOL_CREATE_WITH_BUILD}: make the pool's folder (and its parents) if missing */
    public static final int POOL_CREATE_WITH_BUILD = 1;
    /** {@code VIR_DOMAIN_XML_MIGRATABLE}: the definition as a migration's target may take it */
    public static final int DOMAIN_XML_MIGRATABLE = 1 << 3;
    /** {@code VIR_MIGRATE_LIVE}: the guest runs on during the migration */
    public static final int MIGRATE_LIVE = 1;
    /** {@code VIR_MIGRATE_PERSIST_DEST}: define the domain on the target */
    public static final int MIGRATE_PERSIST_DEST = 1 << 3;
    /** {@code VIR_MIGRATE_UNDEFINE_SOURCE}: remove the definition here once it runs there */
    public static final int MIGRATE_UNDEFINE_SOURCE = 1 << 4;
    /** {@code VIR_MIGRATE_PAUSED}: leave the domain paused on the target */
    public static final int MIGRATE_PAUSED = 1 << 5;
    /** {@code VIR_MIGRATE_NON_SHARED_INC}: copy each disk's top image only, onto one made there on its backing chain */
    public static final int MIGRATE_NON_SHARED_INC = 1 << 7;
    /** {@code VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE}: an incompatible CPU is an error that says why */
    public static final int COMPARE_CPU_FAIL_INCOMPATIBLE = 1;
    /** {@code VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA}: remove the snapshots' metadata with the domain */
    public static final int UNDEFINE_SNAPSHOTS_METADATA = 1 << 1;
    /** {@code VIR_DOMAIN_UNDEFINE_KEEP_NVRAM}: leave the firmware variables file (ESM removes it itself) */
    public static final int UNDEFINE_KEEP_NVRAM = 1 << 3;

    private LibvirtFlags() {
    }

    /**
     * @param paused leave it paused there
     * @return libvirt's mask for a live move's migration: top images copied, defined there, undefined here
     */
    public static int moveMigration(boolean paused) {
        return MIGRATE_LIVE | MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE | MIGRATE_NON_SHARED_INC
                | (paused ? MIGRATE_PAUSED : 0);
    }

    /** @return libvirt's mask for the definition a migration's target gets: the running one, or the persistent one */
    public static int migratableXml(boolean persistent) {
        return DOMAIN_XML_SECURE | DOMAIN_XML_MIGRATABLE | (persistent ? DOMAIN_XML_INACTIVE : 0);
    }

    /** @return libvirt's mask for removing a domain whose files were moved away (ESM removes the files) */
    public static int undefineKeepingFiles() {
        return UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_KEEP_NVRAM;
    }

    /** @return libvirt's mask for a snapshot creation request */
    public static int snapshotCreate(Set<SnapshotFlag> flags) {
        int mask = 0;
        for (SnapshotFlag f : flags) {
            mask |= switch (f) {
                case DISK_ONLY -> SNAPSHOT_CREATE_DISK_ONLY;
                case REUSE_EXTERNAL -> SNAPSHOT_CREATE_REUSE_EXT;
                case ATOMIC -> SNAPSHOT_CREATE_ATOMIC;
                case QUIESCE -> SNAPSHOT_CREATE_QUIESCE;
            };
        }
        return mask;
    }

    /** @return libvirt's mask for {@code virDomainRestoreFlags}: the run state the restored domain is left in */
    public static int restore(boolean paused) {
        return paused ? SAVE_PAUSED : SAVE_RUNNING;
    }

    /** @return libvirt's mask for a snapshot redefinition */
    public static int snapshotRedefine(boolean current) {
        return SNAPSHOT_CREATE_REDEFINE | (current ? SNAPSHOT_CREATE_CURRENT : 0);
    }

    /** @return libvirt's mask for starting a merge helper: paused, and destroyed with this client's connection */
    public static int helperStart() {
        return DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY;
    }

    /** @return libvirt's mask for reading a domain's XML */
    public static int domainXml(boolean live) {
        return DOMAIN_XML_SECURE | (live ? 0 : DOMAIN_XML_INACTIVE);
    }
}
