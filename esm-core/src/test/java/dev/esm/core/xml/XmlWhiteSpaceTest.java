package dev.esm.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** White space in attribute values as libvirt writes them (a path may hold a newline) survives reading and writing. */
class XmlWhiteSpaceTest {
    static final String LIBVIRT = "<domain><name>x</name><!-- a\ncomment --><devices>\r\n"
            + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a\nb\tc\rd/x.qcow2'/>"
            + "<target dev='vda' bus='virtio'/></disk>\n"
            + "<disk type='file' device='cdrom'><source file=\"/iso/it's\n.iso\"/><target dev='hdc'/><readonly/></disk>"
            + "</devices></domain>";

    @Test
    void aNewlineTabOrCarriageReturnInAnAttributeIsReadAsItIs() {
        var def = DomainXml.parse(LIBVIRT);
        assertEquals("/a\nb\tc\rd/x.qcow2", def.disk("vda").orElseThrow().source().orElseThrow());
        assertEquals("/iso/it's\n.iso", def.disk("hdc").orElseThrow().source().orElseThrow());
    }

    @Test
    void aRewriteKeepsThemInEveryDiskItDoesNotTouchAndInTheOnesItDoes() {
        String out = DomainXml.rewrite(LIBVIRT, Map.of("vda", new DiskImage("vda", "/new\n/o.qcow2", ImageFormat.QCOW2)),
                Optional.empty());
        var def = DomainXml.parse(out);
        assertEquals("/new\n/o.qcow2", def.disk("vda").orElseThrow().source().orElseThrow());
        assertEquals("/iso/it's\n.iso", def.disk("hdc").orElseThrow().source().orElseThrow());
        assertTrue(out.contains("&#10;"), out);
    }

    @Test
    void escapedTextKeepsThemToo() {
        String doc = "<a f='" + Xml.escape("x\ny\tz") + "'/>";
        assertEquals("x\ny\tz", Xml.parse(doc).getDocumentElement().getAttribute("f"));
    }
}
