/**
 * The {@code esm} command-line tool: a drop-in for the original bash script's commands ({@code setup},
 * {@code create}, {@code revert}, {@code delete}, {@code refresh}, {@code commit}, same argument order), plus
 * {@code list}, {@code tree}, {@code current}, {@code info}, {@code --dry-run} and {@code --json}. It uses ESM's
 * public API only.
 */
package dev.esm.cli;
