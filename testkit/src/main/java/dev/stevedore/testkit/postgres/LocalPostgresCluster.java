package dev.stevedore.testkit.postgres;

import dev.stevedore.testkit.TempDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL cluster made with initdb and pg_ctl in a temporary directory, on a free port of
 * 127.0.0.1. PostgreSQL refuses to run as root, so as root the binaries run as the {@code postgres} user.
 * Durability is traded for speed (fsync off): the data lives only as long as the test JVM.
 */
public final class LocalPostgresCluster {

    static final String SUPERUSER = "stevedore";
    private static final String SYSTEM_USER = "postgres";

    private final Path binaries;
    private final Path directory;
    private final Path data;
    private final Path log;
    private final boolean asRoot;
    private final boolean durable;
    private int port;
    private String hostAddress;
    private String clientCidr;
    private PostgresServer server;

    private LocalPostgresCluster(Path binaries, Path directory, boolean asRoot, boolean durable) {
        this.durable = durable;
        this.binaries = binaries;
        this.directory = directory;
        this.data = directory.resolve("data");
        this.log = directory.resolve("postgres.log");
        this.asRoot = asRoot;
    }

    /** Starts a cluster; the returned server's stop hook stops it and deletes its directory. */
    public static PostgresServer start(Path binaries) {
        return create(binaries).server();
    }

    /** Starts a cluster that a test controls: it can stop and start the server, as a database outage would. */
    public static LocalPostgresCluster create(Path binaries) {
        return create(binaries, false);
    }

    /**
     * As {@link #create(Path)}; {@code durable} keeps PostgreSQL's default fsync and synchronous_commit,
     * for benchmarks whose figures must hold for a real server.
     */
    public static LocalPostgresCluster create(Path binaries, boolean durable) {
        return create(binaries, durable, null, null);
    }

    /**
     * A cluster that also listens on {@code hostAddress} (the host side of a test's pod network) and lets
     * clients from {@code clientCidr} in without a password check: that network belongs to the test alone.
     */
    public static LocalPostgresCluster createReachableFrom(Path binaries, String hostAddress, String clientCidr) {
        return create(binaries, false, hostAddress, clientCidr);
    }

    private static LocalPostgresCluster create(Path binaries, boolean durable, String hostAddress, String clientCidr) {
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        Path directory;
        try {
            directory = Files.createTempDirectory("stevedore-pg-");
            if (asRoot) {
                UserPrincipalLookupService users = directory.getFileSystem().getUserPrincipalLookupService();
                try {
                    Files.setOwner(directory, users.lookupPrincipalByName(SYSTEM_USER));
                } catch (IOException e) {
                    throw new IllegalStateException("PostgreSQL cannot run as root and there is no '" + SYSTEM_USER
                            + "' user to run it as: create one (useradd --system postgres), or set " + PostgresLocator.URL_VARIABLE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the test PostgreSQL cluster", e);
        }
        LocalPostgresCluster cluster = new LocalPostgresCluster(binaries, directory, asRoot, durable);
        cluster.hostAddress = hostAddress;
        cluster.clientCidr = clientCidr;
        try {
            cluster.port = cluster.startOnFreePort();
            String url = "jdbc:postgresql://127.0.0.1:" + cluster.port + "/postgres";
            cluster.server = new PostgresServer(url, SUPERUSER, "", "local cluster " + directory + " (" + binaries + ")", cluster::stop);
            return cluster;
        } catch (RuntimeException e) {
            cluster.stop();
            throw e;
        }
    }

    public PostgresServer server() {
        return server;
    }

    /** Stops the server process (fast shutdown: sessions are cut), keeping the data. */
    public void stopServer() {
        run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), "pg_ctl stop");
    }

    /** Starts the server again on the same port. */
    public void startServer() {
        startOn(port);
    }

    private int startOnFreePort() {
        run(List.of(binaries.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync"), "initdb");
        if (clientCidr != null) {
            try {
                Files.writeString(data.resolve("pg_hba.conf"), "host all all " + clientCidr + " trust\n", java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot extend pg_hba.conf", e);
            }
        }
        int free = freePort();
        startOn(free);
        return free;
    }

    private void startOn(int port) {
        String speed = durable ? "-c synchronous_commit=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        String serverOptions = String.join(" ", "-p", Integer.toString(port), "-h", listenAddresses(), "-k", directory.toString(),
                speed, "-c", "max_connections=300");
        run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(), "-w", "-t", "60",
                "-o", serverOptions, "start"), "pg_ctl start");
    }

    private String listenAddresses() {
        return hostAddress == null ? "127.0.0.1" : "127.0.0.1," + hostAddress;
    }

    /** The postmaster's process id, from its pid file. */
    public long serverPid() {
        try {
            return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).strip());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("no postmaster.pid in " + data, e);
        }
    }

    /** The temporary directory that holds the cluster's data and log. */
    public Path directory() {
        return directory;
    }

    public int port() {
        return port;
    }

    /** Stops the server at once (no checkpoint needed for throwaway data) and deletes the directory. */
    public void stop() {
        if (Files.exists(data.resolve("postmaster.pid"))) {
            try {
                run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), "pg_ctl stop");
            } catch (RuntimeException e) {
                System.err.println("stevedore-testkit: " + e.getMessage());
            }
        }
        TempDirs.delete(directory);
    }

    private void run(List<String> command, String what) {
        List<String> full = new ArrayList<>();
        if (asRoot) {
            full.addAll(List.of("runuser", "-u", SYSTEM_USER, "--"));
        }
        full.addAll(command);
        Path output = directory.resolve(what.replace(' ', '-') + ".out");
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " did not finish within 90 s; see " + output);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(what + " failed (exit " + process.exitValue() + "): " + tail(output) + tail(log));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + full.get(0) + " for the test PostgreSQL cluster: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the test PostgreSQL cluster", e);
        }
    }

}
