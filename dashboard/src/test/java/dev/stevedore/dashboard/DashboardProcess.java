package dev.stevedore.dashboard;

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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * The packaged dashboard (target/quarkus-app) started as its image starts it: {@code java <jib jvm arguments> -jar
 * quarkus-run.jar}, configured by environment, on a free loopback port. Public for the benchmark of its pages (bench/).
 */
public final class DashboardProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public final Process process;
    public final int port;
    public final Path log;

    private DashboardProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The dashboard of this module (the working directory of its tests). */
    static DashboardProcess start(String name, Map<String, String> env) throws IOException {
        return start(Path.of(""), name, env);
    }

    /** The dashboard built in {@code module} (the dashboard/ directory), its log in that module's target/dashboard-logs. */
    public static DashboardProcess start(Path module, String name, Map<String, String> env) throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(module.resolve("src/main/resources/application.properties"))) {
            props.load(in);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        command.addAll(Arrays.asList(props.getProperty("quarkus.jib.jvm-additional-arguments", "").split(",")));
        command.addAll(List.of("-jar", "quarkus-run.jar"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = Files.createDirectories(module.resolve("target/dashboard-logs")).resolve(name + "-" + port + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(module.resolve("target/quarkus-app").toAbsolutePath().toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        return new DashboardProcess(builder.start(), port, log);
    }

    /** Waits until the dashboard answers (its readiness says the database does too). */
    public DashboardProcess awaitReady() {
        Awaitility.await("dashboard ready on port " + port + " (log " + log + ")").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the dashboard exited with " + process.exitValue() + ":\n" + Files.readString(log));
                    }
                    return status("/q/health/ready") == 200;
                });
        return this;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String logText() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
