/**
 * The engine: ESM's implementation of the API over the {@link dev.esm.core.port.Host} port. It reads the domain,
 * plans, then runs the plan with {@link dev.esm.core.engine.Executor}, which undoes the steps already taken when a
 * later one fails. esm-libvirt only supplies the port.
 */
package dev.esm.core.engine;
