/**
 * ESM's behavioural contract (docs/semantics.md) as abstract JUnit 5 tests, to run against any implementation of
 * esm-core's port, {@link dev.esm.core.port.Host}: ESM's own run it against the in-memory fake (esm-test) and against
 * the real libvirtd (esm-libvirt's integration tests).
 *
 * <p>The contracts, each a class to extend:
 * <ul>
 *   <li>{@link dev.esm.core.contract.SnapshotContract}: setup, create, revert and its branches, live snapshots,
 *       plans, and what bad input does;</li>
 *   <li>{@link dev.esm.core.contract.MergeContract} (with the tests of the one above): delete and commit, offline and
 *       live, on a tree with two branches;</li>
 *   <li>{@link dev.esm.core.contract.MemoryContract}: memory snapshots and reverts to a running or paused
 *       domain;</li>
 *   <li>{@link dev.esm.core.contract.FirmwareContract} and {@link dev.esm.core.contract.TpmContract}: UEFI variables
 *       and an emulated TPM's state with every snapshot.</li>
 * </ul>
 * Each runs its tests on a {@link dev.esm.core.contract.Bed}, which a test class makes in {@code openBed()}, one per
 * test ({@link dev.esm.core.contract.BedLifecycle} opens and closes it): a {@code SnapshotManager} on the host under test, that host as the port, throwaway domains, and a way to
 * write and read a data pattern in their disks. After every step {@link dev.esm.core.contract.Invariants} checks the
 * invariants through the port: every snapshot reads what it read when taken, every referenced image exists, no
 * orphan is left, and the hypervisor's snapshot metadata agrees with ESM's.
 *
 * <p>To run the contract against a host of one's own, in test scope:
 * <pre>{@code
 * <dependency><groupId>dev.esm</groupId><artifactId>esm-contract</artifactId><scope>test</scope></dependency>
 * }</pre>
 * then one class per contract, e.g.
 * <pre>{@code
 * class MyHostMergeContractTest extends MergeContract {
 *     protected Bed openBed() {
 *         return new MyHostBed();   // implements Bed over MyHost
 *     }
 * }
 * }</pre>
 * The memory, firmware and TPM operations of {@code Bed} have defaults that refuse; only the contracts that need
 * them need them implemented. The contracts are JUnit Jupiter tests: the test's own build brings the engine
 * ({@code junit-jupiter}). This package makes no promise of compatibility between releases beyond esm-core's port.
 */
package dev.esm.core.contract;
