package dev.esm.libvirt.testbed;

import dev.esm.api.ImageAccess;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MergeContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import dev.esm.libvirt.internal.pool.OverlayCreator;
import dev.esm.libvirt.internal.pool.PoolStorage;

/**
 * The snapshot and merge contract through libvirt's storage API with every overlay made by libvirt (a volume XML
 * with a backing store, as {@link PoolStorage} does in folders of {@value OverlayCreator#UPLOAD_LIMIT} files or more)
 * instead of uploaded: the test folders are small, so the limit is set to 0 for this class.
 */
class PoolStorageLibvirtOverlaysContractIT extends MergeContract {
    @BeforeAll
    static void everyOverlayByLibvirt() {
        OverlayCreator.defaultUploadLimit = 0;
    }

    @AfterAll
    static void back() {
        OverlayCreator.defaultUploadLimit = OverlayCreator.UPLOAD_LIMIT;
    }

    @Override
    protected Bed openBed() {
        return new LibvirtBed(ImageAccess.LIBVIRT_STORAGE);
    }
}
