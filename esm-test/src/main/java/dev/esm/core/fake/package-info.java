/**
 * The in-memory fake of esm-core's port ({@link dev.esm.core.port.Host} and {@link dev.esm.core.port.Storage}):
 * {@link dev.esm.core.fake.FakeHost} keeps domains and snapshot metadata with libvirt's rules,
 * {@link dev.esm.core.fake.FakeStorage} keeps images as block maps with backing references and records every
 * write into an image that backs another one. esm-core's own tests run on it; {@link dev.esm.test.EsmTest} puts
 * ESM on it for users' tests. Use these classes directly only for what {@link dev.esm.test.InMemoryEsm} does not
 * offer (fault injection, the guest's RAM, inspecting libvirt's metadata).
 */
package dev.esm.core.fake;
