/**
 * Runnable examples of ESM's API. {@link dev.esm.examples.Demo} walks a throwaway domain through the snapshot
 * lifecycle; {@link dev.esm.examples.ThrowawayDomain} makes and removes that lab domain (the only code here that
 * talks to libvirt directly, since defining domains is not ESM's job).
 */
package dev.esm.examples;
