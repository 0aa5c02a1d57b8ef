/**
 * ESM for JUnit 5 tests against a real libvirt: {@link dev.esm.junit5.EsmDomain} reverts an existing domain to a
 * named snapshot before each test (and starts it if asked), {@link dev.esm.junit5.EsmThrowawayDomain} makes a
 * throwaway domain per test class and removes it afterwards; both inject {@link dev.esm.api.DomainSnapshots} and
 * {@link dev.esm.api.SnapshotManager} parameters. {@link dev.esm.junit5.ThrowawayDomain} makes and removes such a lab
 * domain without JUnit too. For tests without libvirt, use esm-test's {@code dev.esm.test.EsmTest.inMemory()}.
 */
package dev.esm.junit5;
