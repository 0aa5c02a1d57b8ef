/**
 * libvirt's domain and domain-snapshot XML, parsed and rewritten with the JDK's XML APIs (external entities and
 * DTDs disabled). Unknown elements are kept as they are: rewriting touches only what it must.
 */
package dev.esm.core.xml;
