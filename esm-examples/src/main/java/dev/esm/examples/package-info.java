/**
 * Runnable examples of ESM's API. {@link dev.esm.examples.Demo} walks a throwaway domain through the snapshot
 * lifecycle; {@link dev.esm.junit5.ThrowawayDomain} (from esm-junit5, the test kit) makes and removes that lab
 * domain (talking to libvirt directly, since defining domains is not ESM's job).
 */
package dev.esm.examples;
