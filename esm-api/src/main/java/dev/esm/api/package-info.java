/**
 * ESM's public API: safe libvirt <em>external</em> (qcow2 overlay) snapshots for Java programs.
 *
 * <p>Start at {@link dev.esm.api.SnapshotManager#connect(String)}, pick a domain with
 * {@link dev.esm.api.SnapshotManager#domain(String)}, then use one single-use command per verb:
 *
 * <pre>{@code
 * try (SnapshotManager esm = SnapshotManager.connect("qemu:///system")) {
 *     DomainSnapshots web = esm.domain("web");
 *     web.snapshot("pre-upgrade").description("before the upgrade").create();
 *     // ... change things ...
 *     web.revert("pre-upgrade").execute();
 *     System.out.println(web.chain().render());
 * }
 * }</pre>
 *
 * <p>What a snapshot means (the behavioural contract): a snapshot is the content every eligible disk had at
 * the instant it was taken. It is never written again, so reverting to it any number of times gives the
 * same content. See {@link dev.esm.api.DomainSnapshots} for each operation, and {@code docs/semantics.md} in
 * ESM's source (the words, each operation and the invariants the tests check) for the whole contract.
 *
 * <p>Every command can show its plan instead of running it ({@link dev.esm.api.Command#plan()}). Every
 * failure is an unchecked {@link dev.esm.api.errors.EsmException}. No libvirt type appears in this package.
 */
package dev.esm.api;
