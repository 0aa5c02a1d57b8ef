package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotState;
import dev.esm.core.model.SnapshotDefinition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The tree index's text form: what is written reads back equal; anything else reads as no index. */
class TreeIndexFormatTest {

    private static SnapshotDefinition snapshot(int i) {
        return new SnapshotDefinition("s" + i + (i % 3 == 0 ? " ünïcode/\n\"<&>" : ""),
                i == 0 ? Optional.empty() : Optional.of("s" + (i - 1)), Instant.ofEpochSecond(1_700_000_000L + i, i),
                i % 2 == 0 ? "" : "line one\nline two\t" + i, i % 4 == 0 ? SnapshotState.RUNNING : SnapshotState.SHUTOFF,
                List.of(new DiskImage("vda", "/var/lib/x/disk0.s" + i + ".qcow2", ImageFormat.QCOW2),
                        new DiskImage("vdb", "/var/lib/x/raw disk " + i, ImageFormat.RAW)),
                "", i % 5 == 0 ? Optional.of("/var/lib/x/mem" + i) : Optional.empty());
    }

    @Test
    void whatIsWrittenReadsBackEqual() {
        List<SnapshotDefinition> all = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            all.add(snapshot(i));
        }
        TreeIndexFormat.Index index = new TreeIndexFormat.Index("(dev=803,ino=12)/1700000000123456789/4096",
                Optional.of("s7"), all);
        assertEquals(Optional.of(index), TreeIndexFormat.decode(TreeIndexFormat.encode(index)));
        TreeIndexFormat.Index empty = new TreeIndexFormat.Index("", Optional.empty(), List.of());
        assertEquals(Optional.of(empty), TreeIndexFormat.decode(TreeIndexFormat.encode(empty)));
    }

    @Test
    void damagedOrForeignTextIsNoIndex() {
        String text = TreeIndexFormat.encode(new TreeIndexFormat.Index("x", Optional.of("s0"), List.of(snapshot(0))));
        assertEquals(Optional.empty(), TreeIndexFormat.decode("not an index"));
        assertEquals(Optional.empty(), TreeIndexFormat.decode(""));
        assertEquals(Optional.empty(), TreeIndexFormat.decode(text.substring(0, text.length() / 2)));
        assertEquals(Optional.empty(), TreeIndexFormat.decode(java.util.Base64.getEncoder().encodeToString(
                "<domain/>".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    @Test
    void theIndexKeepsNoXml() {
        SnapshotDefinition withXml = new SnapshotDefinition("a", Optional.empty(), Instant.EPOCH, "", SnapshotState.SHUTOFF,
                List.of(), "<domainsnapshot/>");
        assertEquals("", TreeIndexFormat.withoutXml(withXml).xml());
        assertEquals(withXml.toApi(), TreeIndexFormat.withoutXml(withXml).toApi());
    }
}
