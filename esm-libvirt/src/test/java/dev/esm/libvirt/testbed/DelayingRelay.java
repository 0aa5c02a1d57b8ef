package dev.esm.libvirt.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A slow link for the remote tests: a TCP relay on 127.0.0.1 in front of the test sshd that holds every chunk of
 * bytes, in each direction, for a fixed delay before passing it on (latency, not a bandwidth limit: chunks queue up
 * and each leaves its delay after it arrived). {@link #uri(String, Path)} gives a remote URI whose ssh goes through
 * it: libvirt's ssh transport runs the {@code command=} binary, here a wrapper around {@code ssh} that connects to
 * the relay's port and checks the host key recorded for the real one ({@code HostKeyAlias}).
 */
public final class DelayingRelay implements AutoCloseable {
    private static final byte[] EOF = new byte[0];

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final long delayNanos;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private record Chunk(long due, byte[] bytes) {
    }

    /**
     * @param targetHost where the relay connects to
     * @param targetPort the port there
     * @param delayMillis the delay of each direction
     */
    public DelayingRelay(String targetHost, int targetPort, long delayMillis) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMillis);
        try {
            server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread accept = new Thread(this::accept, "relay-accept-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
    }

    /** @return the local port clients connect to */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * @param remoteUri a {@code qemu+ssh://user@host:port/...} URI of the test sshd
     * @param dir where to write the ssh wrapper
     * @return the same URI through this relay: its port, and {@code command=} the wrapper
     */
    public String uri(String remoteUri, Path dir) {
        URI u = URI.create(remoteUri);
        Path wrapper = dir.resolve("ssh-via-relay");
        String alias = "[" + u.getHost() + "]:" + u.getPort();
        try {
            Files.writeString(wrapper, "#!/bin/sh\n# ssh to the delaying relay, checking the real host's key.\n"
                    + "exec ssh -o 'HostKeyAlias=" + alias + "' \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String query = u.getRawQuery();
        return u.getScheme() + "://" + (u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@") + u.getHost() + ":"
                + port() + u.getRawPath() + "?" + (query == null || query.isEmpty() ? "" : query + "&")
                + "command=" + wrapper;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket target = new Socket();
                target.connect(new InetSocketAddress(targetHost, targetPort), 10_000);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(target);
                pump(client, target, "up");
                pump(target, client, "down");
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("relay: " + e);
                }
            }
        }
    }

    /** Copies {@code from} to {@code to}, each chunk {@link #delayNanos} after it was read. */
    private void pump(Socket from, Socket to, String direction) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
                }
            } catch (IOException e) {
                // the connection ended
            }
            queue.add(new Chunk(System.nanoTime() + delayNanos, EOF));
        }, "relay-" + direction + "-read");
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = queue.take();
                    long wait = c.due() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (c.bytes() == EOF) {
                        to.shutdownOutput();
                        return;
                    }
                    out.write(c.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended
            }
        }, "relay-" + direction + "-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
