package consumer;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.SnapshotContract;
import dev.esm.core.port.Host;
import dev.esm.test.EsmTest;
import dev.esm.test.InMemoryEsm;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The contract (esm-contract) through the installed artifacts, as a user runs it against a host of their own: here the
 * host is esm-test's in-memory one, reached only through InMemoryEsm, and the bed is written as a user would write it.
 */
class ContractTest extends SnapshotContract {
    @Override
    protected Bed openBed() {
        return new InMemoryBed();
    }

    /** A bed over {@link InMemoryEsm}: its disks are named by target (the spec's file name is not used). */
    static final class InMemoryBed implements Bed {
        private final InMemoryEsm esm = EsmTest.inMemory();
        private int domains;

        @Override
        public SnapshotManager manager() {
            return esm;
        }

        @Override
        public Host host() {
            return esm.host();
        }

        @Override
        public String newDomain(List<DiskSpec> disks) {
            String name = "consumer-" + (++domains);
            InMemoryEsm.DomainBuilder domain = esm.defineDomain(name).folder(folder(name));
            for (DiskSpec d : disks) {
                if (d.device().equals("cdrom")) {
                    domain.cdrom(d.target());
                } else {
                    domain.disk(d.target(), d.format(), d.size());
                }
            }
            domain.define();
            return name;
        }

        @Override
        public String folder(String domain) {
            return "/vms/" + domain;
        }

        @Override
        public void write(String domain, String target, int pattern) {
            esm.write(domain, target, pattern);
        }

        @Override
        public boolean reads(String domain, String target, int pattern) {
            return esm.read(domain, target) == pattern;
        }

        @Override
        public boolean imageReads(DiskImage image, int pattern) {
            return esm.storage().read(image.path(), 0) == pattern;
        }

        @Override
        public void start(String domain) {
            esm.start(domain);
        }

        @Override
        public void stop(String domain) {
            esm.stop(domain);
        }

        @Override
        public Set<String> files(String dir) {
            Set<String> out = new TreeSet<>();
            for (String f : esm.files()) {
                if (f.startsWith(dir + "/")) {
                    out.add(f);
                }
            }
            return out;
        }

        @Override
        public void close() {
            esm.close();
        }
    }
}
