package dev.esm.libvirt.internal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.esm.api.ImageFormat;
import dev.esm.api.errors.StorageException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.image.JsonValue;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.internal.local.QemuImg;

/** The JSON reader and what LocalStorage takes from {@code qemu-img info}. */
class JsonValueTest {

    @Test
    void valuesOfEveryKindAreRead() {
        Object v = JsonValue.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\\"\\n\\u00e9\\/\"], \"b\": {}} ");
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, -2500.0, true, false, null, "x\"\né/"), "b", Map.of()),
                v);
        assertEquals(List.of(), JsonValue.parse("[]"));
        assertEquals(18446744073709551616.0, JsonValue.parse("18446744073709551616"));
    }

    @Test
    void malformedTextIsRefused() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "[1,]", "{\"a\":1} x", "\"\\q\"", "tru", "-", "\"a\nb\"")) {
            assertThrows(IllegalArgumentException.class, () -> JsonValue.parse(bad), bad);
        }
    }

    @Test
    void theImagesOwnFieldsAreTakenNotTheFirstMatchingKeyAnywhere() {
        // A nested object (a backing image's info, or format-specific data) comes first and has the same keys.
        String json = "{\"backing-image\": {\"virtual-size\": 5, \"backing-filename\": \"/wrong\","
                + " \"actual-size\": 7}, \"format-specific\": {\"data\": {\"backing-filename-format\": \"qcow2\"}},"
                + " \"virtual-size\": 1073742336, \"actual-size\": 200704, \"backing-filename\": \"b\\\"0.img\","
                + " \"full-backing-filename\": \"/d/b\\\"0.img\", \"backing-filename-format\": \"raw\"}";
        var info = QemuImg.imageInfo("/d/o.qcow2", ImageFormat.QCOW2, json);
        assertEquals(1073742336L, info.virtualSize());
        assertEquals(200704L, info.actualSize());
        assertEquals(Optional.of("/d/b\"0.img"), info.backing());
        assertEquals(Optional.of(ImageFormat.RAW), info.backingFormat());
        var noBacking = QemuImg.imageInfo("/d/b.img", ImageFormat.RAW,
                "{\"backing-image\": {\"virtual-size\": 5}, \"virtual-size\": 512}");
        assertEquals(512L, noBacking.virtualSize());
        assertEquals(Optional.empty(), noBacking.backing());
        assertThrows(StorageException.class, () -> QemuImg.imageInfo("/d/x", ImageFormat.RAW,
                "{\"backing-image\": {\"virtual-size\": 5}}"));
    }
}
