/**
 * ESM's small unchecked exception hierarchy. Every exception is an {@link dev.esm.api.errors.EsmException};
 * messages say what went wrong and what to do. A failed operation that was refused before it started
 * (bad input, wrong state) has changed nothing.
 */
package dev.esm.api.errors;
