package dev.stevedore.testkit.kube;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real kube-controller-manager process against a test API server, so Deployments produce ReplicaSets
 * and Pods, owner references are garbage collected, and nodes that stop heartbeating are tainted and their
 * Pods evicted. It runs with the API server's admin kubeconfig and no leader election.
 */
public final class ControllerManager implements AutoCloseable {

    /** The controllers a job-worker pool's life touches; see DESIGN.md, test environment. */
    public static final List<String> CONTROLLERS = List.of(
            "deployment-controller", "replicaset-controller", "garbage-collector-controller",
            "node-lifecycle-controller", "taint-eviction-controller", "pod-garbage-collector-controller",
            "disruption-controller", "namespace-controller");

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path log;

    private ControllerManager(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static ControllerManager start(Path binary, Path kubeconfig, Path log) {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                binary.toString(),
                "--kubeconfig=" + kubeconfig,
                "--leader-elect=false",
                "--use-service-account-credentials=false",
                "--controllers=" + String.join(",", CONTROLLERS),
                "--bind-address=127.0.0.1",
                "--secure-port=" + port,
                "--authentication-skip-lookup=true",
                // Fast node-loss detection for tests; the fake kubelet renews its lease every second.
                "--node-monitor-period=1s",
                "--node-monitor-grace-period=6s",
                "--node-startup-grace-period=10s",
                "--kube-api-qps=100",
                "--kube-api-burst=200",
                "--v=1"));
        Process process;
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
        }
        ControllerManager manager = new ControllerManager(process, log);
        try {
            manager.awaitHealthy(port);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return manager;
    }

    private void awaitHealthy(int port) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(LoopbackTls.trustingAnyCertificate()).connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
        String lastAnswer = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kube-controller-manager exited with " + process.exitValue() + ": " + tail());
            }
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                lastAnswer = "HTTP " + response.statusCode() + " " + response.body();
            } catch (IOException e) {
                lastAnswer = e.toString(); // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for kube-controller-manager", e);
            }
            sleepBriefly();
        }
        throw new IllegalStateException("kube-controller-manager not healthy after " + STARTUP_TIMEOUT.toSeconds() + " s ("
                + lastAnswer + "): " + tail());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for kube-controller-manager", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for kube-controller-manager", e);
        }
    }
}
