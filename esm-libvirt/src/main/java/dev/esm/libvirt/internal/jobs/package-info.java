/**
 * Block jobs: the block-commit driver ({@link dev.esm.libvirt.internal.jobs.BlockCommitDriver}) with its block-job events, and offline merges in helper domains on a remote host ({@link dev.esm.libvirt.internal.jobs.MergeHelpers}).
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.jobs;
