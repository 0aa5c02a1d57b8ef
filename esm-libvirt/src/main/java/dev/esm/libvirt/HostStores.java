package dev.esm.libvirt;

import dev.esm.api.ImageAccess;
import dev.esm.api.Settings;
import dev.esm.core.port.Host;
import dev.esm.core.port.StateStore;
import dev.esm.core.port.Storage;
import dev.esm.libvirt.internal.local.LocalState;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.internal.state.PoolState;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.libvirt.Connect;

/**
 * The image store and the state store a {@link LibvirtHost} makes for its settings ({@link Settings#imageAccess()},
 * resolved by the URI): over libvirt's storage API, {@link PoolStorage} and {@link PoolState} (a domain's journal
 * lives in its definition, which every define must then carry); else the files of this machine, {@link LocalStorage}
 * and {@link LocalState}. Either way overlays are made in the layouts the host's QEMU and libvirt open
 * ({@link SupportedLayout}).
 *
 * @param storage the image files
 * @param state the journals and locks
 * @param withJournal what a definition must carry when it is defined (its domain's newest journal, or nothing)
 * @param layout the layouts of the overlays the storage makes: any overlay, and one a live pull goes into
 */
record HostStores(Storage storage, StateStore state, UnaryOperator<String> withJournal,
                  SupportedLayout.Layouts layout) {

    /**
     * Makes the stores (they are the host's to close).
     *
     * @param uri the host's URI
     * @param conn the host's first connection, which the stores' calls go through
     * @param host the host the stores serve (a pool store runs its offline merges in helper domains there)
     * @param running the names of the host's running domains
     * @param settings the manager's settings
     */
    static HostStores open(String uri, Connect conn, Host host, Supplier<List<String>> running, Settings settings) {
        boolean storageApi = settings.imageAccess().resolve(uri) == ImageAccess.LIBVIRT_STORAGE;
        SupportedLayout.Layouts layout = SupportedLayout.of(conn, settings.overlayLayout(), storageApi);
        if (storageApi) {
            PoolStorage pools = new PoolStorage(conn, host, running, settings.hostStateDirectory(),
                    layout.overlays(), layout.pullable());
            PoolState poolState = new PoolState(conn, pools.statePool(), uri, settings.leaseTime());
            return new HostStores(pools, poolState, poolState::withCurrentJournal, layout);
        }
        return new HostStores(new LocalStorage("qemu-img", settings.processTimeout(), layout.overlays(),
                layout.pullable()), new LocalState(settings.stateDirectory()), xml -> xml, layout);
    }
}
