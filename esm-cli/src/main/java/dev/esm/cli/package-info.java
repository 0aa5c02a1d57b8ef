/**
 * The {@code esm} command-line tool: a drop-in for the original bash script's commands ({@code setup},
 * {@code create}, {@code revert}, {@code delete}, {@code refresh}, {@code commit}, same argument order), plus
 * {@code list}, {@code tree}, {@code current}, {@code info}, {@code verify}, {@code recover}, {@code --dry-run} and
 * {@code --json}; an interactive prompt ({@code esm shell}) and batches ({@code esm -f FILE}) that run many commands
 * on one connection; {@code esm completion}. It uses ESM's public API only, except that the process stops
 * libvirt-java's event loop before it exits (see {@link dev.esm.cli.EsmCli}).
 */
package dev.esm.cli;
