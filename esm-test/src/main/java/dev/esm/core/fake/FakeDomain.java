package dev.esm.core.fake;

import static dev.esm.core.fake.FakeErrors.invalid;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.errors.HypervisorException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.xml.DomainXml;

/**
 * One domain of the fake host: its persistent and live definitions, whether it runs and is paused, its RAM (one
 * pattern) and its snapshot metadata; its lifecycle (start, pause, resume, stop) refused as libvirt refuses it.
 *
 * <p>Thread-safety: not thread-safe: {@link FakeHost} holds its lock around every use.
 */
final class FakeDomain {
    String persistent;
    String live;
    boolean running;
    boolean paused;
    /** The guest's RAM, as one pattern. */
    int ram;
    final SnapshotMetadata snapshots = new SnapshotMetadata();

    /** @return the domain's state as libvirt reports it */
    DomainState state() {
        return !running ? DomainState.SHUTOFF : paused ? DomainState.PAUSED : DomainState.RUNNING;
    }

    /** Fails, as libvirt does, unless the domain runs. */
    void requireRunning() {
        if (!running) {
            throw invalid("domain is not running");
        }
    }

    /** @return the definition the domain runs with, or its persistent one when it is off */
    String activeXml() {
        return running ? live : persistent;
    }

    /** Starts the domain from its persistent definition, its RAM cleared; refused when an image is missing. */
    void start(FakeStorage storage) {
        if (running) {
            throw invalid("domain is already running");
        }
        requireImages(storage, DomainXml.parse(persistent), "start failed");
        running = true;
        paused = false;
        ram = 0;
        live = persistent;
    }

    /** Runs the domain (or leaves it paused) with this definition and RAM, as a restore does. */
    void restored(String domainXml, int savedRam, boolean pausedAfter) {
        running = true;
        paused = pausedAfter;
        live = domainXml;
        ram = savedRam;
    }

    /** Pauses the running domain. */
    void pause() {
        if (!running || paused) {
            throw invalid("domain is not running");
        }
        paused = true;
    }

    /** Lets the paused domain run. */
    void resume() {
        if (!running || !paused) {
            throw invalid("domain is not paused");
        }
        paused = false;
    }

    /** Powers the running domain off. */
    void stop() {
        requireRunning();
        running = false;
        paused = false;
        live = null;
    }

    /** Fails as libvirt does when one of the definition's active images is missing. */
    static void requireImages(FakeStorage storage, DomainDefinition definition, String failed) {
        for (DiskImage img : definition.activeImages()) {
            if (!storage.exists(img.path())) {
                throw new HypervisorException(failed, 38, "VIR_ERR_SYSTEM_ERROR",
                        "Cannot access storage file '" + img.path() + "'", null);
            }
        }
    }
}
