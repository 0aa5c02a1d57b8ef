/**
 * Block jobs: the block-commit and block-pull drivers ({@link dev.esm.libvirt.internal.jobs.BlockCommitDriver}, {@link dev.esm.libvirt.internal.jobs.BlockPullDriver}) on what they share ({@link dev.esm.libvirt.internal.jobs.BlockJobs}: the connection's block-job events, start, abort), and offline merges and pulls in helper domains on a remote host ({@link dev.esm.libvirt.internal.jobs.MergeHelpers}).
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.jobs;
