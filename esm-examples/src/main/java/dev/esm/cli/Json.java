package dev.esm.cli;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageInfo;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import java.util.List;
import java.util.Optional;

/** A tiny JSON writer for the read commands' {@code --json} output (no dependency needed for this much). */
final class Json {
    private Json() {
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static String opt(Optional<String> s) {
        return s.map(Json::str).orElse("null");
    }

    static String image(DiskImage i) {
        return "{\"disk\":" + str(i.target()) + ",\"path\":" + str(i.path()) + ",\"format\":" + str(i.format().id())
                + "}";
    }

    static String info(ImageInfo i) {
        return "{\"path\":" + str(i.path()) + ",\"format\":" + str(i.format().id()) + ",\"virtualSize\":"
                + i.virtualSize() + ",\"actualSize\":" + i.actualSize() + ",\"backing\":" + opt(i.backing()) + "}";
    }

    static String snapshot(Snapshot s, SnapshotChain chain) {
        boolean current = chain.current().map(c -> c.name().equals(s.name())).orElse(false);
        return "{\"name\":" + str(s.name()) + ",\"parent\":" + opt(s.parent()) + ",\"base\":" + s.isBase()
                + ",\"current\":" + current + ",\"creationTime\":" + str(s.creationTime().toString())
                + ",\"description\":" + str(s.description()) + ",\"state\":" + str(s.state().libvirtName())
                + ",\"memory\":" + s.hasMemory() + ",\"memoryFile\":" + opt(s.memoryFile())
                + ",\"images\":" + array(s.images().stream().map(Json::image).toList()) + "}";
    }

    static String array(List<String> items) {
        return "[" + String.join(",", items) + "]";
    }
}
