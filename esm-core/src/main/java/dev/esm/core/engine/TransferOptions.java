package dev.esm.core.engine;

import dev.esm.api.errors.InvalidOperationException;
import java.util.Objects;

/** Checks the options a move or replication takes. Stateless. */
final class TransferOptions {
    private TransferOptions() {
    }

    /** @return {@code dir} without a trailing slash, checked to be an absolute folder */
    static String folder(String dir) {
        Objects.requireNonNull(dir, "directory");
        if (!dir.startsWith("/") || dir.contains("\n") || dir.contains("\t") || dir.contains("/../")
                || dir.endsWith("/..")) {
            throw new InvalidOperationException("'" + dir + "' is not an absolute folder: give the target folder as"
                    + " an absolute path");
        }
        return dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
    }

    /** @return {@code host}, checked to be a plain host name or address */
    static String address(String host) {
        Objects.requireNonNull(host, "address");
        if (!host.matches("[A-Za-z0-9.:\\[\\]_-]+")) {
            throw new InvalidOperationException("'" + host + "' is not a host name or address: give one such as"
                    + " 10.0.0.2 or host2.example.org");
        }
        return host;
    }
}
