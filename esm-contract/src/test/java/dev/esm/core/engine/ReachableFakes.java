package dev.esm.core.engine;

import dev.esm.api.ImageAccess;
import dev.esm.api.Settings;
import dev.esm.api.SnapshotManager;
import dev.esm.api.spi.SnapshotManagerProvider;
import dev.esm.core.port.Host;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A provider (registered for the tests of this module) that serves fake hosts a test registers by URI, so that a
 * recovery reaches the other host of a move by the URI its journal names, as it would a libvirt host; it records the
 * image access each was opened with. Serves no other URI. Thread-safe.
 */
public final class ReachableFakes implements SnapshotManagerProvider {
    private static final Map<String, Host> HOSTS = new ConcurrentHashMap<>();
    private static final Map<String, List<ImageAccess>> OPENED = new ConcurrentHashMap<>();

    /** Serves {@code host} at {@code uri} until {@link #unregister}. */
    static void register(String uri, Host host) {
        HOSTS.put(uri, host);
        OPENED.put(uri, new CopyOnWriteArrayList<>());
    }

    static void unregister(String uri) {
        HOSTS.remove(uri);
        OPENED.remove(uri);
    }

    /** @return the image access of each manager opened on {@code uri}, in order */
    static List<ImageAccess> opened(String uri) {
        return List.copyOf(OPENED.getOrDefault(uri, List.of()));
    }

    @Override
    public boolean supports(String uri) {
        return HOSTS.containsKey(uri);
    }

    @Override
    public SnapshotManager open(String uri) {
        return open(uri, Settings.defaults());
    }

    @Override
    public SnapshotManager open(String uri, ImageAccess access) {
        return open(uri, SnapshotManager.builder(uri).imageAccess(access).settings());
    }

    @Override
    public SnapshotManager open(String uri, Settings settings) {
        OPENED.get(uri).add(settings.imageAccess());
        return new CoreSnapshotManager(HOSTS.get(uri), settings); // closing it closes nothing of the fake host
    }
}
