package dev.stevedore.worker;

import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The packaged worker (target/quarkus-app) started the way the container image starts it:
 * {@code java <jib jvm arguments> -jar quarkus-run.jar} in the app directory, configured by environment.
 */
final class WorkerProcess implements AutoCloseable {

    static final Path APP = Path.of("target", "quarkus-app");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final Process process;
    final int port;
    final Path log;

    private WorkerProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Environment for a worker on this database: demo handlers on, fast heartbeats. */
    static Map<String, String> env(TestDatabase db, String pool) {
        Map<String, String> env = new HashMap<>();
        env.put("STEVEDORE_DB_URL", db.jdbcUrl());
        env.put("STEVEDORE_DB_USER", db.user());
        env.put("STEVEDORE_DB_PASSWORD", db.password());
        env.put("STEVEDORE_POOL", pool);
        env.put("STEVEDORE_DEMO_HANDLERS", "true");
        env.put("STEVEDORE_HEARTBEAT_INTERVAL", "1s");
        env.put("STEVEDORE_ALIVE_THRESHOLD", "5s");
        return env;
    }

    /** The image's entrypoint: java, the Jib JVM arguments from application.properties, -jar quarkus-run.jar. */
    static List<String> entrypoint() throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src", "main", "resources", "application.properties"))) {
            props.load(in);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(props.getProperty("quarkus.jib.jvm-arguments", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager"));
        command.addAll(Arrays.asList(props.getProperty("quarkus.jib.jvm-additional-arguments", "").split(",")));
        command.add("-jar");
        command.add("quarkus-run.jar");
        return command;
    }

    static WorkerProcess start(String name, Map<String, String> env) throws IOException {
        int port = freePort();
        Path log = Files.createDirectories(Path.of("target", "worker-logs")).resolve(name + "-" + port + ".log");
        ProcessBuilder builder = new ProcessBuilder(entrypoint()).directory(APP.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().putIfAbsent("POD_NAME", name);
        return new WorkerProcess(name, builder.start(), port, log);
    }

    /** Status code and body of a GET on the worker's HTTP port; 0 when it does not answer. */
    HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    boolean ready() {
        HttpResponse<String> r = get("/q/health/ready");
        return r != null && r.statusCode() == 200;
    }

    /** Sends a signal with kill(1). */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -s " + signal + " " + process.pid() + " failed");
        }
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + timeout + "; log: " + log);
        }
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
