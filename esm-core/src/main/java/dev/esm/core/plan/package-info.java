/**
 * Planning: each operation turns the domain's current state into an ordered list of
 * {@link dev.esm.core.plan.Step}s, checking every argument and state first, so that bad input changes nothing.
 * Pure functions of their input.
 */
package dev.esm.core.plan;
