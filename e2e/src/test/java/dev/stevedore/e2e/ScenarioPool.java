package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * One scenario's pool on the real node: a namespace and a database of its own, the pool applied with kubectl from
 * the worker image (demo handlers on), a watch that keeps every worker container's last end (exit code, reason), and
 * the accounting every scenario ends with.
 */
final class ScenarioPool implements AutoCloseable {

    static final Duration POD_START = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final String namespace;
    final LocalCluster cluster;
    final KubernetesClient client;
    final DataSource dataSource;
    final JobClient jobs;
    final QueueAdmin admin;
    /** Every worker container end the kubelet reported, by Pod name (a restarted container adds one each time). */
    final Map<String, List<ContainerStateTerminated>> ends = new ConcurrentHashMap<>();
    /** When the kubelet's report of each end was first seen, by container id. */
    final Map<String, Instant> endSeenAt = new ConcurrentHashMap<>();
    /** The pool Deployment's available replicas as they changed: when, and how many. */
    private final List<Map.Entry<Instant, Integer>> availability = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Watch watch;
    private final Watch deploymentWatch;

    private ScenarioPool(String name, LocalCluster cluster, TestDatabase db) {
        this.name = name;
        this.namespace = "sc-" + name;
        this.cluster = cluster;
        this.client = cluster.client();
        this.dataSource = db.dataSource();
        this.jobs = new JobClient(dataSource, QueueSchema.DEFAULT);
        this.admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        this.watch = client.pods().inNamespace(namespace).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                record(pod);
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
        this.deploymentWatch = client.apps().deployments().inNamespace(namespace).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Deployment deployment) {
                Integer available = deployment.getStatus() == null ? null : deployment.getStatus().getAvailableReplicas();
                availability.add(Map.entry(Instant.now(), available == null ? 0 : available));
            }

            @Override
            public void onClose(WatcherException cause) {}
        });
    }

    /**
     * A pool named {@code name} serving the queue {@code name}, with {@code spec} (YAML lines under {@code spec:},
     * indented two spaces) added to the defaults: the worker image, heartbeat 1 s, alive threshold 5 s, demo handlers.
     */
    static ScenarioPool create(LocalCluster cluster, String name, String spec) {
        TestDatabase db = cluster.database().createDatabase("sc_" + name.replace('-', '_'));
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        KubernetesClient client = cluster.client();
        String namespace = "sc-" + name;
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).serverSideApply();
        client.resource(new SecretBuilder().withNewMetadata().withName("queue-db").withNamespace(namespace).endMetadata()
                .withStringData(cluster.podDatabaseSecret(db.name(), db.user()))
                .build()).serverSideApply();
        ScenarioPool pool = new ScenarioPool(name, cluster, db);
        pool.apply(spec);
        return pool;
    }

    /** Applies the pool with kubectl, as a user changes it: the defaults plus {@code spec}. */
    void apply(String spec) {
        String yaml = """
                apiVersion: stevedore.dev/v1alpha1
                kind: JobWorkerPool
                metadata:
                  name: %s
                spec:
                  image: %s
                  queues: [%s]
                  database: {secretName: queue-db}
                  heartbeatInterval: 1s
                  aliveThreshold: 5s
                %s
                """.formatted(name, RealNode.images().worker(), name, spec.stripTrailing());
        if (!spec.contains("template:")) {
            yaml += """
                      template:
                        env:
                          - {name: STEVEDORE_DEMO_HANDLERS, value: "true"}
                        resources:
                          requests: {cpu: 50m, memory: 256Mi}
                          limits: {memory: 384Mi}
                    """;
        }
        Kubectl.Result applied = Kubectl.runWithInput(cluster, yaml, "apply", "-n", namespace, "-f", "-");
        assertThat(applied.exitCode()).as(applied.output()).isZero();
    }

    List<Pod> workers() {
        return client.pods().inNamespace(namespace).withLabel("stevedore.dev/pool", name).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    List<Pod> awaitReadyWorkers(int count) {
        await().atMost(POD_START).until(() -> workers().size() == count && workers().stream().allMatch(OperatorInstall::ready));
        return workers();
    }

    List<Long> enqueue(String handler, String args, int count, int maxAttempts) {
        List<NewJob> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(NewJob.of(name, handler).args(args).maxAttempts(maxAttempts).build());
        }
        return jobs.enqueueAll(batch);
    }

    JobView job(long id) {
        return admin.show(id).orElseThrow(() -> new AssertionError("job " + id + " is lost"));
    }

    /** Waits until none of {@code ids} is running, available or scheduled: each ended completed or failed. */
    void awaitFinished(Collection<Long> ids, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(500)).until(() -> ids.stream().map(this::job)
                .allMatch(j -> j.state() == JobState.COMPLETED || j.state() == JobState.FAILED));
    }

    /** The process row of the worker in {@code pod}. */
    dev.stevedore.queue.ProcessView process(String pod) {
        return admin.processes(namespace + "/" + name).stream().filter(p -> pod.equals(p.pod())).findFirst()
                .orElseThrow(() -> new AssertionError("no process row for " + pod));
    }

    /** Those of {@code ids} that the process {@code processId} holds now. */
    List<Long> heldBy(long processId, Collection<Long> ids) {
        List<Long> held = ids.stream().filter(id -> job(id).claimedBy() != null && job(id).claimedBy() == processId).toList();
        assertThat(held).as("process %s holds jobs", processId).isNotEmpty();
        return held;
    }

    /** The worker's /q/metrics in {@code pod}, from its IP on the pod network. */
    String metrics(String pod) throws Exception {
        String ip = client.pods().inNamespace(namespace).withName(pod).get().getStatus().getPodIP();
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://" + ip + ":8080/q/metrics")).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The status of the pool's condition {@code type} ("True", "False", "Unknown"), or null while it has none. */
    String condition(String type) {
        GenericKubernetesResource pool = client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(namespace)
                .withName(name).get();
        List<Map<String, Object>> conditions = pool == null ? null : pool.get("status", "conditions");
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.get("type"))).map(c -> (String) c.get("status"))
                .findFirst().orElse(null);
    }

    /** A number of the pool's status ({@code aliveProcesses}, {@code prunedTotal}...), 0 while it has none. */
    long statusNumber(String field) {
        GenericKubernetesResource pool = client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(namespace)
                .withName(name).get();
        Number value = pool == null ? null : pool.get("status", field);
        return value == null ? 0 : value.longValue();
    }

    /**
     * What a failed scenario needs to be understood once its namespace is gone, in {@code target/scenarios/<name>}: the
     * pool, its Pods (restarts, last states) and Events as YAML, and the container logs of its workers and of the operator
     * (every restart the kubelet kept). Never fails the scenario.
     */
    private void keepEvidence() {
        Path out = Path.of("target", "scenarios", name);
        try {
            Files.createDirectories(out);
            var yaml = client.getKubernetesSerialization();
            Files.writeString(out.resolve("pool.yaml"), yaml.asYaml(client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool")
                    .inNamespace(namespace).withName(name).get()));
            Files.writeString(out.resolve("pods.yaml"), yaml.asYaml(client.pods().inNamespace(namespace).list()));
            Files.writeString(out.resolve("events.yaml"), yaml.asYaml(client.v1().events().inNamespace(namespace).list()));
            try (Stream<Path> dirs = Files.list(cluster.podLogDirectory())) {
                for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(namespace + "_")
                        || d.getFileName().toString().startsWith(OperatorInstall.OPERATOR_NAMESPACE + "_")).toList()) {
                    try (Stream<Path> files = Files.walk(dir)) {
                        for (Path file : files.filter(Files::isRegularFile).toList()) {
                            Path copy = out.resolve("logs").resolve(cluster.podLogDirectory().relativize(file).toString());
                            Files.createDirectories(copy.getParent());
                            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("scenario " + name + ": could not keep all evidence in " + out + ": " + e);
        }
    }

    /** The Pods whose worker container ended with {@code reason} (any reason when null), as the kubelet reported. */
    Set<String> podsThatEnded(String reason) {
        return ends.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(end -> reason == null || reason.equals(end.getReason())))
                .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toSet());
    }

    /** The longest stretch, since the Deployment first had an available worker, in which it had none. */
    Duration longestTimeWithoutAvailableWorkers() {
        Duration longest = Duration.ZERO;
        Instant downSince = null;
        boolean wasUp = false;
        for (Map.Entry<Instant, Integer> change : availability) {
            if (change.getValue() > 0) {
                if (downSince != null) {
                    longest = max(longest, Duration.between(downSince, change.getKey()));
                    downSince = null;
                }
                wasUp = true;
            } else if (wasUp && downSince == null) {
                downSince = change.getKey();
            }
        }
        return downSince == null ? longest : max(longest, Duration.between(downSince, Instant.now()));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The worker process's host pid in {@code pod}'s running container. */
    long workerPid(Pod pod) {
        ContainerStatus status = client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get().getStatus()
                .getContainerStatuses().get(0);
        return cluster.containerPid(status.getContainerID());
    }

    /** SIGKILL to the worker's JVM from the host, a real signal, as the kernel's OOM killer sends it. */
    void sigkill(Pod pod) {
        long pid = workerPid(pod);
        ProcessHandle process = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        assertThat(process.destroyForcibly()).as("SIGKILL sent to pid %s", pid).isTrue();
    }

    /**
     * The accounting every scenario ends with, row by row: every job enqueued is still there (none lost), is
     * completed, failed with a recorded error, or still scheduled or available (none running); a completed job has
     * a finish time and no error on its last attempt (never both completed and failed); and every ProcessPrunedError
     * names a Pod in {@code deadPods}: no job of a live worker was failed as pruned.
     */
    Accounting account(Collection<Long> ids, Set<String> deadPods) throws Exception {
        Accounting accounting = new Accounting();
        for (long id : ids) {
            JobView job = job(id);
            assertThat(job.state()).as("job %s", id)
                    .isIn(EnumSet.of(JobState.COMPLETED, JobState.FAILED, JobState.SCHEDULED, JobState.AVAILABLE));
            List<JsonNode> errors = new ArrayList<>();
            JSON.readTree(job.errors() == null ? "[]" : job.errors()).forEach(errors::add);
            if (job.state() == JobState.COMPLETED) {
                accounting.completed++;
                assertThat(job.finishedAt()).as("job %s completed with a finish time", id).isNotNull();
                assertThat(errors).as("job %s: no error on the attempt that completed", id)
                        .noneMatch(e -> e.path("attempt").asInt(-1) == job.attempts());
            } else if (job.state() == JobState.FAILED) {
                accounting.failed++;
                assertThat(job.lastError()).as("job %s failed with a recorded error", id).isNotNull();
            } else {
                accounting.waiting++;
            }
            for (JsonNode error : errors) {
                if ("ProcessPrunedError".equals(error.path("class").asText())) {
                    accounting.pruned++;
                    assertThat(error.path("pod").asText()).as("job %s was pruned with a worker that really died", id).isIn(deadPods);
                }
            }
        }
        assertThat(accounting.completed + accounting.failed + accounting.waiting).as("no job lost").isEqualTo(ids.size());
        return accounting;
    }

    static final class Accounting {
        int completed;
        int failed;
        int waiting;
        int pruned;

        @Override
        public String toString() {
            return completed + " completed, " + failed + " failed, " + waiting + " waiting, " + pruned + " ProcessPrunedError";
        }
    }

    private void record(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return;
        }
        for (ContainerStatus status : pod.getStatus().getContainerStatuses()) {
            for (var state : List.of(status.getLastState(), status.getState())) {
                ContainerStateTerminated end = state == null ? null : state.getTerminated();
                if (end != null && end.getContainerID() != null && endSeenAt.putIfAbsent(end.getContainerID(), Instant.now()) == null) {
                    ends.computeIfAbsent(pod.getMetadata().getName(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(end);
                }
            }
        }
    }

    @Override
    public void close() {
        watch.close();
        deploymentWatch.close();
        keepEvidence();
        client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(namespace).withName(name).delete();
        client.namespaces().withName(namespace).delete();
    }
}
