package dev.esm.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests of this class run against an existing libvirt domain, put back into a known snapshot before each test.
 *
 * <pre>{@code
 * @EsmDomain(name = "web", revertTo = "clean", start = true)
 * class WebServerTest {
 *     @Test
 *     void upgradeKeepsTheSite(DomainSnapshots web) {   // and/or a SnapshotManager parameter
 *         // "web" runs, on fresh overlays over the snapshot "clean": whatever the last test did is gone
 *     }
 * }
 * }</pre>
 *
 * <p>The extension ({@link EsmExtension}) connects once per class, and before each test reverts the domain to
 * {@link #revertTo()} (powering it off first if it runs) and starts it when {@link #start()} says so. It never
 * defines, changes or removes the domain otherwise; the snapshot must exist (take it once, by hand or with
 * {@code esm create web clean}). Parameters of type {@link dev.esm.api.DomainSnapshots} and
 * {@link dev.esm.api.SnapshotManager} are injected. Needs esm-libvirt at run time (this artifact brings it).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EsmExtension.class)
public @interface EsmDomain {
    /**
     * @return the libvirt URI; empty for the environment variable {@code ESM_TEST_URI}, else {@code LIBVIRT_DEFAULT_URI},
     *         else {@code qemu:///system}
     */
    String uri() default "";

    /** @return the domain's name */
    String name();

    /** @return the snapshot to revert to before each test ({@code base} for the images ESM set up); empty for none */
    String revertTo() default "";

    /** @return whether to start the domain after reverting it (it is left shut off otherwise) */
    boolean start() default false;
}
