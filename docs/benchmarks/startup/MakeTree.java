import dev.esm.api.*;
import dev.esm.junit5.ThrowawayDomain;
import org.libvirt.*;
public class MakeTree {
  public static void main(String[] a) throws Exception {
    String uri = "qemu:///system"; int n = Integer.parseInt(a[0]);
    SnapshotManager manager = SnapshotManager.connect(uri);
    ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-s2tree-" + n, 1, 64L << 20);
    String d = lab.name();
    DomainSnapshots vm = manager.domain(d);
    vm.setup(lab.folder() + "/esm").execute();
    vm.snapshot("r0").create();
    Connect raw = new Connect(uri);
    Domain dom = raw.domainLookupByName(d);
    DomainSnapshot r0 = dom.snapshotLookupByName("r0");
    String template = r0.getXMLDesc(1);
    for (int i = 1; i < n; i++) {
      String parent = i % 50 == 1 ? "r0" : "m" + (i - 1);
      dom.snapshotCreateXML(template.replace("<name>r0</name>", "<name>m" + i + "</name>")
        .replaceFirst("<creationTime>\\d+</creationTime>", "<creationTime>" + (1_700_000_000L + i) + "</creationTime>")
        .replaceFirst("(?s)<parent>\\s*<name>[^<]*</name>\\s*</parent>", "")
        .replaceFirst("<domainsnapshot>", "<domainsnapshot><parent><name>" + parent + "</name></parent>"), 1).free();
    }
    System.out.println(d + " " + lab.folder());
    System.exit(0);
  }
}
