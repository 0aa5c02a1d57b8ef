package dev.esm.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tests of this class get a throwaway libvirt domain, made before the first test and removed (with its snapshots and
 * images) after the last: a {@link ThrowawayDomain} (64 MiB, no OS, small qcow2 disks). With {@link #snapshot()}, a
 * snapshot of that name is taken right after it is made, and the domain is reverted to it before each test, so every
 * test starts from the same disks.
 *
 * <pre>{@code
 * @EsmThrowawayDomain(disks = 2, snapshot = "clean")
 * class SnapshotToolTest {
 *     @Test
 *     void takesASnapshot(DomainSnapshots vm, SnapshotManager esm, ThrowawayDomain lab) {
 *         vm.snapshot("mine").create();   // gone with the domain after the class
 *     }
 * }
 * }</pre>
 *
 * Parameters of type {@link dev.esm.api.DomainSnapshots}, {@link dev.esm.api.SnapshotManager} and
 * {@link ThrowawayDomain} are injected. Needs {@code qemu-img} and a libvirt daemon.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EsmExtension.class)
public @interface EsmThrowawayDomain {
    /**
     * @return the libvirt URI; empty for the environment variable {@code ESM_TEST_URI}, else {@code LIBVIRT_DEFAULT_URI},
     *         else {@code qemu:///system}
     */
    String uri() default "";

    /** @return the start of the domain's name (a random suffix follows) */
    String prefix() default "esm-junit";

    /** @return how many qcow2 disks ({@code vda}, {@code vdb}, ...) */
    int disks() default 1;

    /** @return each disk's size in MiB */
    int diskMiB() default 16;

    /** @return the snapshot to take when the domain is made and to revert to before each test; empty for none */
    String snapshot() default "";

    /** @return whether to start the domain before each test (after reverting it) */
    boolean start() default false;
}
