/**
 * The one seam between ESM's pure logic and the outside world: {@link dev.esm.core.port.Host} (libvirt) and its
 * {@link dev.esm.core.port.Storage} (files). esm-libvirt implements them over libvirt-java and the local file
 * system; tests use an in-memory fake. Nothing outside this seam may assume the images are local.
 */
package dev.esm.core.port;
