package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.operator.pool.PoolLabels;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Plays the kubelet for tests: Pods of a pool on a fake node, each with a real worker process (the packaged
 * worker, registered with the Pod's name and uid), status updates, SIGKILL and deletion.
 */
final class WorkerPods implements AutoCloseable {

    static final Path WORKER = Path.of("..", "worker-image", "target", "quarkus-app");

    private final KubernetesClient client;
    private final String namespace;
    private final List<Process> workers = new ArrayList<>();

    WorkerPods(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** A Pod of the pool on {@code node}, reported Running. */
    Pod runningPod(String pool, String name, String node) {
        Pod pod = client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).addToLabels(PoolLabels.POOL, pool).addToLabels(PoolLabels.NAME, PoolLabels.WORKER).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("worker").withImage("stevedore/worker:test").endContainer().endSpec()
                .build()).create();
        pod.setStatus(new PodStatusBuilder().withPhase("Running")
                .withContainerStatuses(new ContainerStatusBuilder().withName("worker").withReady(true).withRestartCount(0)
                        .withImage("stevedore/worker:test").withImageID("").withNewState().withNewRunning()
                        .withStartedAt(Instant.now().minusSeconds(60).toString()).endRunning().endState().build()).build());
        return client.pods().inNamespace(namespace).resource(pod).updateStatus();
    }

    /** Starts the packaged worker registered as {@code pod}, serving the queue named like the pool. */
    Process startWorker(TestDatabase db, String pool, Pod pod) throws Exception {
        return startWorker(db, db.jdbcUrl(), pool, pod);
    }

    /** As {@link #startWorker(TestDatabase, String, Pod)}, reaching the database at {@code jdbcUrl} (a proxy, say). */
    Process startWorker(TestDatabase db, String jdbcUrl, String pool, Pod pod) throws Exception {
        return startWorker(db, jdbcUrl, pool, pod, java.util.Map.of());
    }

    /** As above, with environment variables of the test's own (a shorter alive threshold, say). */
    Process startWorker(TestDatabase db, String jdbcUrl, String pool, Pod pod, java.util.Map<String, String> env) throws Exception {
        Path log = Files.createDirectories(Path.of("target", "worker-logs")).resolve(pod.getMetadata().getName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "quarkus-run.jar")
                .directory(WORKER.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("STEVEDORE_DB_URL", jdbcUrl);
        pb.environment().put("STEVEDORE_DB_USER", db.user());
        pb.environment().put("STEVEDORE_POOL", namespace + "/" + pool);
        pb.environment().put("STEVEDORE_QUEUES", pool);
        pb.environment().put("STEVEDORE_DEMO_HANDLERS", "true");
        pb.environment().put("STEVEDORE_HEARTBEAT_INTERVAL", "1s");
        pb.environment().put("STEVEDORE_ALIVE_THRESHOLD", "5s");
        pb.environment().put("POD_NAME", pod.getMetadata().getName());
        pb.environment().put("POD_UID", pod.getMetadata().getUid());
        pb.environment().put("NODE_NAME", pod.getSpec().getNodeName());
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().putAll(env);
        Process worker = pb.start();
        workers.add(worker);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("worker started as process") || !worker.isAlive());
        assertThat(worker.isAlive()).as("worker for %s started; see %s", pod.getMetadata().getName(), log).isTrue();
        return worker;
    }

    static void sigkill(Process process) throws Exception {
        new ProcessBuilder("kill", "-s", "KILL", Long.toString(process.pid())).start().waitFor();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    /** What a kubelet reports after the container died: terminated with this exit code. */
    void reportTerminated(Pod pod, int exitCode, String reason) {
        Pod current = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get();
        current.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("worker").withReady(false).withRestartCount(0)
                .withImage("stevedore/worker:test").withImageID("").withNewState().withNewTerminated().withExitCode(exitCode).withReason(reason)
                .withFinishedAt(Instant.now().toString()).endTerminated().endState().build()));
        client.pods().inNamespace(namespace).resource(current).updateStatus();
    }

    /** Removes the Pod object at once, as a kubelet does after the containers stopped (or as a force delete does). */
    void delete(Pod pod) {
        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
    }

    @Override
    public void close() {
        workers.forEach(Process::destroyForcibly);
    }
}
