/**
 * The {@code esm} command-line tool: a drop-in for the original bash script's commands ({@code setup},
 * {@code create}, {@code revert}, {@code delete}, {@code refresh}, {@code commit}, same argument order), plus
 * {@code list}, {@code tree}, {@code current}, {@code info}, {@code verify}, {@code recover}, {@code --dry-run} and
 * {@code --json}, one class a command (only the invoked command's model is built, see {@link dev.esm.cli.EsmCli});
 * an interactive prompt ({@code esm shell}) and batches ({@code esm -f FILE}) that run many commands on one
 * connection ({@link dev.esm.cli.Batch}); {@code esm completion} and the man pages ({@link dev.esm.cli.ManPages}).
 * It uses ESM's public API only, except that the process stops libvirt-java's event loop before it exits (see
 * {@link dev.esm.cli.EsmCli}) and that the class-data-sharing archive's training run ({@link dev.esm.cli.CdsTraining})
 * reads XML with esm-core's code; {@code ArchitectureTest} enforces it.
 */
package dev.esm.cli;
