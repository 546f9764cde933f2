package dev.stevedore.testkit.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL), for tests that need the network between a
 * client and the database to fail the way networks do: {@link #cut()} drops every connection and refuses new
 * ones (a failover, a restart), {@link #blackhole()} keeps connections open but delivers nothing (a partition:
 * the client hears nothing, not even a reset), {@link #delay} holds every chunk of bytes back (a slow link or
 * an overloaded server). The bytes that pass are the real protocol between the real client and server.
 */
public final class TcpProxy implements AutoCloseable {

    private enum Mode { PASS, CUT, BLACKHOLE }

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile Mode mode = Mode.PASS;
    private volatile long delayNanos;
    private volatile boolean closed;

    private TcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** A proxy to {@code host:port}, listening on a free port of 127.0.0.1. */
    public static TcpProxy to(String host, int port) throws IOException {
        return new TcpProxy(new InetSocketAddress(host, port));
    }

    /** A proxy to the host and port of a {@code jdbc:postgresql://host:port/db} URL. */
    public static TcpProxy forJdbcUrl(String jdbcUrl) throws IOException {
        java.net.URI uri = java.net.URI.create(jdbcUrl.substring("jdbc:".length()));
        return to(uri.getHost(), uri.getPort() == -1 ? 5432 : uri.getPort());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The same JDBC URL, pointed at this proxy. */
    public String jdbcUrl(String jdbcUrl) {
        java.net.URI uri = java.net.URI.create(jdbcUrl.substring("jdbc:".length()));
        return "jdbc:postgresql://127.0.0.1:" + port() + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** Drops every open connection and refuses new ones (accepted, then closed at once) until {@link #restore()}. */
    public void cut() {
        mode = Mode.CUT;
        links.forEach(Link::close);
    }

    /** Keeps connections open and accepts new ones, but delivers no byte in either direction. */
    public void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /** Holds back each chunk of bytes, in each direction, for {@code latency}. */
    public void delay(Duration latency) {
        delayNanos = latency.toNanos();
    }

    /** Back to normal. Connections that lived through a blackhole have lost bytes, so they are dropped. */
    public void restore() {
        if (mode == Mode.BLACKHOLE) {
            links.forEach(Link::close);
        }
        delayNanos = 0;
        mode = Mode.PASS;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (mode == Mode.CUT) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                Link link = new Link(client, upstream);
                links.add(link);
                link.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        links.forEach(Link::close);
    }

    /** One proxied connection: a pump thread per direction. */
    private final class Link {
        private final Socket client;
        private final Socket upstream;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() throws IOException {
            pump(client.getInputStream(), upstream.getOutputStream(), "up");
            pump(upstream.getInputStream(), client.getOutputStream(), "down");
        }

        private void pump(InputStream in, OutputStream out, String direction) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        long delay = delayNanos;
                        if (delay > 0) {
                            Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
                        }
                        if (mode == Mode.BLACKHOLE) {
                            continue; // lost on the way
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // the connection ended
                } finally {
                    close();
                }
            }, "tcp-proxy-" + direction);
            t.setDaemon(true);
            t.start();
        }

        void close() {
            links.remove(this);
            try {
                client.close();
            } catch (IOException ignored) {
                // already closed
            }
            try {
                upstream.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
