package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The worker image on a real node: a JobWorkerPool reconciled by the packaged operator becomes real Pods,
 * started by a real kubelet through containerd and runc, Ready through their real probes, running jobs
 * against PostgreSQL across the pod network, and draining on a real deletion.
 */
@ExtendWith(RealNode.class)
@Order(2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerPoolOnRealNodeIT {

    private static final String NAMESPACE = "default";
    private static final String POOL = "e2e";
    private static final String QUEUE = "e2e";
    private static final Duration POD_START = Duration.ofMinutes(3);

    private static LocalCluster cluster;
    private static KubernetesClient client;
    private static TestDatabase db;
    private static DataSource dataSource;
    private static Process operator;
    private static Path operatorLog;

    @BeforeAll
    static void aPoolOfOneWorker() throws Exception {
        cluster = RealNode.cluster();
        client = cluster.client();
        db = cluster.database().createDatabase("e2e_pool");
        dataSource = db.dataSource();
        QueueMigrator.migrate(dataSource, QueueSchema.DEFAULT);

        client.resource(new SecretBuilder().withNewMetadata().withName("queue-db").withNamespace(NAMESPACE).endMetadata()
                .withStringData(cluster.podDatabaseSecret(db.name(), db.user()))
                .build()).serverSideApply();
        try (var crd = Files.newInputStream(RealNode.projectDir().resolve("crds/jobworkerpools.stevedore.dev-v1.yml"))) {
            client.load(crd).serverSideApply();
        }
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(NAMESPACE).list() != null);
        operator = startOperator();

        client.resource("""
                apiVersion: stevedore.dev/v1alpha1
                kind: JobWorkerPool
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  image: %s
                  replicas: 1
                  queues: [%s]
                  threads: 4
                  database:
                    secretName: queue-db
                  heartbeatInterval: 1s
                  aliveThreshold: 5s
                  shutdownTimeout: 20s
                  drainTimeout: 10s
                  template:
                    env:
                      - name: STEVEDORE_DEMO_HANDLERS
                        value: "true"
                    resources:
                      requests: {memory: 256Mi}
                      limits: {memory: 512Mi}
                """.formatted(POOL, NAMESPACE, RealNode.images().worker(), QUEUE)).serverSideApply();
    }

    @AfterAll
    static void removeThePool() throws Exception {
        if (client != null) {
            client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(NAMESPACE).withName(POOL).delete();
        }
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // never leave it running past the test
            }
        }
    }

    @Test
    @Order(1)
    void thePoolBecomesRealPodsThatRegisterAsProcessesWithTheirPodNameUidAndNode() {
        Pod pod = awaitReadyWorkerPod();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(processes())
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.pod()).isEqualTo(pod.getMetadata().getName());
                    assertThat(p.podUid()).isEqualTo(pod.getMetadata().getUid());
                    assertThat(p.node()).isEqualTo(LocalCluster.NODE_NAME);
                    assertThat(p.pool()).isEqualTo(NAMESPACE + "/" + POOL);
                }));
        assertThat(pod.getStatus().getPodIP()).startsWith("10.213.0.");
        assertThat(pod.getSpec().getNodeName()).isEqualTo(LocalCluster.NODE_NAME);
    }

    @Test
    @Order(2)
    void theWorkerPodRunsJobsAgainstPostgresqlAcrossThePodNetwork() {
        awaitReadyWorkerPod();
        JobClient jobs = new JobClient(dataSource, QueueSchema.DEFAULT);
        List<NewJob> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(NewJob.of(QUEUE, "sleep").args("{\"ms\": 20}").build());
        }
        jobs.enqueueAll(batch);
        QueueAdmin admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(admin.stats().jobs().getOrDefault(JobState.COMPLETED, 0L)).isGreaterThanOrEqualTo(20L));
    }

    @Test
    @Order(3)
    void theCliRunsInsideTheWorkerPodWithThePodsDatabaseSettings() {
        awaitReadyWorkerPod();
        Kubectl.Result stats = Kubectl.run(cluster, "exec", "-n", NAMESPACE, "deploy/" + POOL, "--", "/opt/stevedore/bin/stevedore", "stats");
        assertThat(stats.exitCode()).as(stats.output()).isZero();
        // The jobs of the test before, read by the CLI in the Pod through the Pod's own STEVEDORE_DB_* settings.
        assertThat(stats.output()).containsPattern("completed\\s+2\\d").contains("processes: 1 alive of 1 registered");
    }

    @Test
    @Order(4)
    void theWorkerRunsAsUser185OnAReadOnlyRootFilesystem() {
        awaitReadyWorkerPod();
        Kubectl.Result user = Kubectl.run(cluster, "exec", "-n", NAMESPACE, "deploy/" + POOL, "--", "id", "-u");
        assertThat(user.exitCode()).as(user.output()).isZero();
        assertThat(user.output().strip()).isEqualTo("185");
        Kubectl.Result write = Kubectl.run(cluster, "exec", "-n", NAMESPACE, "deploy/" + POOL, "--", "touch", "/written-by-the-test");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.output()).contains("Read-only file system");
        Kubectl.Result tmp = Kubectl.run(cluster, "exec", "-n", NAMESPACE, "deploy/" + POOL, "--", "touch", "/tmp/written");
        assertThat(tmp.exitCode()).as("/tmp is the pod's emptyDir: %s", tmp.output()).isZero();
    }

    @Test
    @Order(5)
    void deletingThePodDrainsItAndTheWorkerExitsZeroWithinTheGracePeriodWithItsProcessRowGone() throws Exception {
        Pod pod = awaitReadyWorkerPod();
        String name = pod.getMetadata().getName();
        long grace = pod.getSpec().getTerminationGracePeriodSeconds();
        ProcessView process = await().atMost(Duration.ofSeconds(30))
                .until(() -> processes().stream().filter(p -> p.pod().equals(name)).findFirst(), Optional::isPresent).orElseThrow();

        // Jobs that are running when the Pod is deleted: draining lets them finish.
        JobClient jobs = new JobClient(dataSource, QueueSchema.DEFAULT);
        List<Long> running = jobs.enqueueAll(List.of(NewJob.of(QUEUE, "sleep").args("{\"ms\": 3000}").build(),
                NewJob.of(QUEUE, "sleep").args("{\"ms\": 3000}").build()));
        QueueAdmin admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        await().atMost(Duration.ofSeconds(20)).until(() -> running.stream()
                .allMatch(id -> admin.show(id).map(j -> j.state() == JobState.RUNNING).orElse(false)));

        AtomicReference<ContainerStateTerminated> terminated = new AtomicReference<>();
        Path logs = cluster.logDirectory().resolve("worker-" + name + ".log");
        Process follow = Kubectl.start(cluster, logs, "logs", "-f", "-n", NAMESPACE, name, "-c", "worker");
        try (Watch watch = client.pods().inNamespace(NAMESPACE).withName(name).watch(new Watcher<Pod>() {
            @Override
            public void eventReceived(Action action, Pod changed) {
                workerStatus(changed).map(s -> s.getState().getTerminated()).ifPresent(terminated::set);
            }

            @Override
            public void onClose(WatcherException cause) {}
        })) {
            long begin = System.nanoTime();
            Kubectl.Result delete = Kubectl.run(cluster, "delete", "pod", "-n", NAMESPACE, name);
            assertThat(delete.exitCode()).as(delete.output()).isZero();
            Duration took = Duration.ofNanos(System.nanoTime() - begin);

            await().atMost(Duration.ofSeconds(10)).until(() -> terminated.get() != null);
            assertThat(terminated.get().getExitCode()).as("the worker's exit code; log %s", logs).isZero();
            assertThat(took).as("deletion took less than the grace period").isLessThan(Duration.ofSeconds(grace));
        }
        follow.waitFor(10, TimeUnit.SECONDS);
        follow.destroy();
        assertThat(Files.readString(logs)).as("the preStop hook called /drain, then SIGTERM stopped the worker")
                .contains("draining: no more claims").contains("worker stopped");
        assertThat(processes()).noneMatch(p -> p.id() == process.id());
        assertThat(running).allSatisfy(id -> assertThat(admin.show(id).orElseThrow().state()).isEqualTo(JobState.COMPLETED));
    }

    @Test
    @Order(6)
    void aContainerPastItsMemoryLimitIsOomKilledByTheKernel() {
        String name = "memory-hog";
        client.resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
                .withNewSpec()
                    .withRestartPolicy("Never")
                    .addNewContainer()
                        .withName("hog")
                        .withImage(RealNode.images().worker())
                        // Touching a 256 MiB heap at start goes past the 64 MiB limit before Java's own checks matter.
                        .withCommand("java", "-XX:+AlwaysPreTouch", "-Xms256m", "-Xmx256m", "-version")
                        .withNewResources().withLimits(Map.of("memory", new Quantity("64Mi"))).endResources()
                    .endContainer()
                .endSpec()
                .build()).create();
        try {
            await().atMost(POD_START).ignoreExceptions().untilAsserted(() -> {
                ContainerStatus status = client.pods().inNamespace(NAMESPACE).withName(name).get().getStatus().getContainerStatuses().get(0);
                assertThat(status.getState().getTerminated()).isNotNull();
                assertThat(status.getState().getTerminated().getReason()).isEqualTo("OOMKilled");
                assertThat(status.getState().getTerminated().getExitCode()).isEqualTo(137);
            });
        } finally {
            client.pods().inNamespace(NAMESPACE).withName(name).withGracePeriod(0).delete();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static Pod awaitReadyWorkerPod() {
        return await().atMost(POD_START).pollInterval(Duration.ofMillis(500)).until(() -> client.pods().inNamespace(NAMESPACE)
                        .withLabel("stevedore.dev/pool", POOL).list().getItems().stream()
                        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                        .filter(WorkerPoolOnRealNodeIT::ready)
                        .findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<ContainerStatus> workerStatus(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getContainerStatuses().stream()
                .filter(s -> "worker".equals(s.getName()) && s.getState() != null && s.getState().getTerminated() != null)
                .findFirst();
    }

    private static List<ProcessView> processes() {
        return new QueueAdmin(dataSource, QueueSchema.DEFAULT).processes(NAMESPACE + "/" + POOL);
    }

    private static Process startOperator() throws Exception {
        Path app = RealNode.projectDir().resolve("operator/target/quarkus-app");
        operatorLog = cluster.logDirectory().resolve("operator.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "quarkus-run.jar")
                .directory(app.toFile()).redirectErrorStream(true).redirectOutput(operatorLog.toFile());
        builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        builder.environment().put("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NAMESPACE); // where the leader Lease lives
        builder.environment().put("HOSTNAME", "e2e-operator");
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        Process started = builder.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !started.isAlive()
                || Files.readString(operatorLog).contains("Started event processing for controller: jobworkerpool"));
        assertThat(started.isAlive()).as("the operator started; log %s", operatorLog).isTrue();
        return started;
    }
}
