import com.sun.jna.*;
public class Narrow {
  public interface V extends Library {
    Pointer virConnectOpenReadOnly(String uri);
    Pointer virDomainLookupByName(Pointer c, String name);
    int virDomainSnapshotNum(Pointer d, int flags);
    int virDomainFree(Pointer d);
    int virConnectClose(Pointer c);
  }
  public static void main(String[] a) throws Exception {
    long t0 = System.nanoTime();
    int n;
    if (a[0].equals("narrow")) {
      V v = Native.load("virt", V.class);
      long t1 = System.nanoTime();
      Pointer c = v.virConnectOpenReadOnly(a[1]); Pointer d = v.virDomainLookupByName(c, a[2]);
      n = v.virDomainSnapshotNum(d, 0); v.virDomainFree(d); v.virConnectClose(c);
      System.out.println("load " + (t1-t0)/1000000 + " ms, all " + (System.nanoTime()-t0)/1000000 + " ms, " + n);
    } else {
      org.libvirt.Connect c = new org.libvirt.Connect(a[1], true);
      long t1 = System.nanoTime();
      org.libvirt.Domain d = c.domainLookupByName(a[2]); n = d.snapshotNum(); d.free(); c.close();
      System.out.println("connect " + (t1-t0)/1000000 + " ms, all " + (System.nanoTime()-t0)/1000000 + " ms, " + n);
    }
  }
}
