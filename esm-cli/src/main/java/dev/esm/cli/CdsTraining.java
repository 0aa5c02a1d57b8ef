package dev.esm.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The training run for {@code esm}'s class-data-sharing archive, made at package time by
 * {@code scripts/cds-archive.sh}: it loads the classes a command needs without needing libvirt, so that the build
 * works on any machine. It builds picocli's whole model and every help text, runs a command against a libvirt
 * socket that does not exist (JNA, libvirt-java and ESM's provider load and fail), reads a tree and a list from a host in
 * memory ({@link CdsTrainingHost}) the way a one-shot read does after connecting, reads and writes XML the way
 * ESM's core does, and gzip and Base64 the way a tree index is, and loads every class of ESM, picocli, libvirt-java,
 * JNA and SLF4J in the jar (without running their static initialisers).
 */
final class CdsTraining {
    private CdsTraining() {
    }

    /** The JDK classes a tree index is read with (gzip, Base64, data streams): an {@code esm tree} loads them. */
    private static void treeIndexClasses() throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.util.zip.GZIPOutputStream(bytes))) {
            out.writeInt(1);
            out.writeLong(2);
            out.writeBoolean(true);
        }
        String text = java.util.Base64.getEncoder().encodeToString(bytes.toByteArray());
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(text)))) {
            java.io.DataInputStream data = new java.io.DataInputStream(new java.io.ByteArrayInputStream(in.readAllBytes()));
            data.readInt();
            data.readLong();
            data.readBoolean();
        }
    }

    /**
     * Runs {@code esm tree} and {@code esm list} (text and JSON) on {@link CdsTrainingHost}'s tree, in full and then
     * from the tree index the first read wrote: the code after connecting that a read runs (XML, model, index,
     * output), with the lambdas it makes, which the class list then names.
     */
    private static void reads(PrintStream none) {
        try (Session s = new Session(none, none, false)) {
            s.use(CdsTrainingHost.URI, new dev.esm.core.engine.CoreSnapshotManager(new CdsTrainingHost(60)));
            String u = "--uri=" + CdsTrainingHost.URI;
            String d = CdsTrainingHost.DOMAIN;
            for (String[] line : new String[][] {{u, "tree", d}, {u, "tree", d}, {u, "list", d},
                    {u, "tree", "--json", d}, {u, "list", "--json", d}, {u, "current", d}}) {
                EsmCli.commandLine(s, EsmCli.only(line)).execute(line);
                PlainRead.parse(line).ifPresent(plain -> PlainRead.run(plain, s)); // as EsmCli.main runs it
            }
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        EsmCli.run(new String[] {"--help"}, none, none);
        for (String c : EsmCli.COMMANDS.keySet()) {
            EsmCli.run(new String[] {c, "--help"}, none, none);
        }
        EsmCli.run(new String[] {"--uri=qemu+unix:///system?socket=/nonexistent/esm-cds-training", "tree", "x"}, none,
                none);
        reads(none);
        dev.esm.core.xml.Xml.write(dev.esm.core.xml.Xml.parse(
                "<domain type='kvm'><name>x</name><devices><disk type='file' device='disk'><driver name='qemu' "
                        + "type='qcow2'/><source file='/x.qcow2'/><target dev='vda'/></disk></devices></domain>"));
        treeIndexClasses();
        ClassLoader loader = CdsTraining.class.getClassLoader();
        URI jar = CdsTraining.class.getProtectionDomain().getCodeSource().getLocation().toURI();
        try (JarFile f = new JarFile(new java.io.File(jar))) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                if (n.endsWith(".class") && !n.contains("module-info") && !n.startsWith("META-INF/")
                        && (n.startsWith("dev/esm/") || n.startsWith("picocli/") || n.startsWith("org/libvirt/")
                        || n.startsWith("com/sun/jna/") || n.startsWith("org/slf4j/"))) {
                    try {
                        Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, loader);
                    } catch (Throwable ignored) {
                        // A class that cannot load here (an optional dependency missing) is left out of the archive.
                    }
                }
            }
        }
    }
}
