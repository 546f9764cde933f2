package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.operator.KubernetesTestResource;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.pool.PoolLabels;
import dev.stevedore.operator.pool.PoolStatus;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.net.TcpProxy;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator prunes real worker processes (the packaged worker, started as JVMs with the Pod's name and
 * uid) from Pod facts, against a real kube-apiserver and PostgreSQL. The test plays the kubelet.
 */
@QuarkusTest
@QuarkusTestResource(KubernetesTestResource.class)
@ExtendWith(PostgresExtension.class)
class PruneOperatorTest {

    private static final String NS = "prune";

    @Inject
    KubernetesClient client;

    private WorkerPods pods;

    @AfterEach
    void killWorkers() {
        pods.close();
    }

    @BeforeEach
    void setUp(TestDatabase db) {
        pods = new WorkerPods(client, NS);
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("queue-db").endMetadata()
                .addToData("jdbc-uri", b64(db.jdbcUrl())).addToData("username", b64(db.user()))
                .addToData("password", b64(db.password() == null ? "" : db.password())).build()).serverSideApply();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private JobWorkerPool createPool(String name) {
        return createPool(name, "queue-db");
    }

    private JobWorkerPool createPool(String name, String secretName) {
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName(name);
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(0); // this test makes its own Pods
        DatabaseSpec db = new DatabaseSpec();
        db.setSecretName(secretName);
        spec.setDatabase(db);
        spec.setHeartbeatInterval("1s");
        spec.setAliveThreshold("5s");
        pool.setSpec(spec);
        return client.resource(pool).create();
    }

    private Pod runningPod(String pool, String name) {
        return pods.runningPod(pool, name, "fake-node");
    }

    private Pod runningPod(String pool, String name, String node) {
        return pods.runningPod(pool, name, node);
    }

    private Process startWorker(TestDatabase db, String pool, Pod pod) throws Exception {
        return pods.startWorker(db, pool, pod);
    }

    private static void sigkill(Process worker) throws Exception {
        WorkerPods.sigkill(worker);
    }

    private static long holdJob(TestDatabase db, String queue) {
        long id = new JobClient(db.dataSource(), QueueSchema.DEFAULT).enqueue(NewJob.of(queue, "sleep").args("{\"ms\": 600000}").build()).orElseThrow();
        QueueAdmin admin = new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT);
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.show(id).orElseThrow().state() == dev.stevedore.queue.JobState.RUNNING);
        return id;
    }

    private static JobView job(TestDatabase db, long id) {
        return new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT).show(id).orElseThrow();
    }

    private JobWorkerPool pool(String name) {
        return client.resources(JobWorkerPool.class).inNamespace(NS).withName(name).get();
    }

    @Test
    void thePoolsQueueDepthAndAgeAreExportedForItsQueuesOnly(TestDatabase db) throws Exception {
        JobWorkerPool pool = createPool("depth");
        pool.getSpec().setQueues(java.util.List.of("mail", "sms"));
        client.resource(pool).update();
        JobClient jobs = new JobClient(db.dataSource(), QueueSchema.DEFAULT);
        // Due a minute ago, so the oldest has waited a minute when the operator first reads the queue.
        for (int i = 0; i < 3; i++) {
            jobs.enqueue(NewJob.of("mail", "sleep").args("{}").runAt(java.time.Instant.now().minusSeconds(60)).build());
        }
        jobs.enqueue(NewJob.of("elsewhere", "sleep").args("{}").build()); // no worker of this pool serves it
        new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT).pause("sms", "test", null);
        String tags = "pool=\"" + NS + "/depth\",queue=";
        java.util.regex.Pattern age = java.util.regex.Pattern.compile("stevedore_queue_oldest_available_age_seconds\\{"
                + java.util.regex.Pattern.quote(tags + "\"mail\"") + "} ([0-9.]+)");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String metrics = metrics();
            assertThat(metrics).contains("stevedore_queue_available_jobs{" + tags + "\"mail\"} 3.0",
                    "stevedore_queue_available_jobs{" + tags + "\"sms\"} 0.0").doesNotContain(tags + "\"elsewhere\"");
            assertThat(metrics).contains("stevedore_queue_paused{" + tags + "\"sms\"} 1.0", "stevedore_queue_paused{" + tags + "\"mail\"} 0.0");
            java.util.regex.Matcher m = age.matcher(metrics);
            assertThat(m.find()).as("the age of the oldest mail job is exported").isTrue();
            // Read at most every 15 s: a minute, plus at most one read interval and this await's own time.
            assertThat(Double.parseDouble(m.group(1))).isBetween(59.0, 60.0 + 15 + 30);
        });
        assertThat(metrics()).as("the replicas the pool asks for").contains("stevedore_pool_replicas{pool=\"" + NS + "/depth\"} 0.0");

        // The pool stops serving mail: that queue's gauges go, sms stays.
        JobWorkerPool current = client.resources(JobWorkerPool.class).inNamespace(NS).withName("depth").get();
        current.getSpec().setQueues(java.util.List.of("sms"));
        client.resource(current).update();
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> assertThat(metrics())
                .contains("stevedore_queue_available_jobs{" + tags + "\"sms\"} 0.0").doesNotContain(tags + "\"mail\""));

        client.resource(current).delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(metrics()).as("a deleted pool's metrics go with it")
                .doesNotContain("pool=\"" + NS + "/depth\""));
    }

    private static String metrics() throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue("quarkus.http.test-port", Integer.class) + "/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void aKilledWorkerWhosePodIsDeletedIsPrunedWithinTwoSeconds(TestDatabase db) throws Exception {
        createPool("crashers");
        Pod pod = runningPod("crashers", "crashers-7d9f-a");
        Process worker = startWorker(db, "crashers", pod);
        long jobId = holdJob(db, "crashers");

        sigkill(worker);
        // The kubelet reports the container dead, then the Pod goes.
        pods.reportTerminated(pod, 137, "Error");
        long deletedAt = System.nanoTime();
        pods.delete(pod);

        await().atMost(Duration.ofSeconds(2)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.FAILED);
        long latencyMs = (System.nanoTime() - deletedAt) / 1_000_000;
        System.out.println("prune latency from Pod deletion to ProcessPrunedError: " + latencyMs + " ms");

        JobView.JobError error = job(db, jobId).lastError();
        assertThat(error.errorClass()).isEqualTo("ProcessPrunedError");
        assertThat(error.reason()).isEqualTo("PodDeleted");
        assertThat(error.pod()).isEqualTo("crashers-7d9f-a");
        assertThat(error.node()).isEqualTo("fake-node");
        assertThat(error.exitCode()).isEqualTo(137);
        assertThat(error.signal()).isEqualTo("SIGKILL");

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
            JobWorkerPool p = pool("crashers");
            assertThat(p.getStatus().getPrunedTotal()).isEqualTo(1L);
            assertThat(p.getStatus().getRecentPrunes()).singleElement().satisfies(r -> {
                assertThat(r.getPod()).isEqualTo("crashers-7d9f-a");
                assertThat(r.getReason()).isEqualTo("PodDeleted");
                assertThat(r.getJobIds()).containsExactly(jobId);
            });
            assertThat(PoolStatus.find(p.getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()).isEqualTo("True");
        });
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getValue("quarkus.http.test-port", Integer.class) + "/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String poolTag = "pool=\"" + NS + "/crashers\"";
        assertThat(metrics).contains("stevedore_operator_prunes_total{" + poolTag + ",reason=\"PodDeleted\"} 1.0",
                "stevedore_operator_pruned_jobs_total{" + poolTag + ",reason=\"PodDeleted\",retried=\"false\"} 1.0",
                "stevedore_operator_prune_latency_seconds_bucket", "stevedore_operator_reconciles_total",
                "stevedore_pool_database_reachable{" + poolTag + "} 1.0", "stevedore_pool_alive_processes{" + poolTag + "} 0.0",
                "stevedore_operator_database_errors_total{" + poolTag + "} 0.0");
        assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("ProcessPruned");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("crashers");
            assertThat(e.getMessage()).contains("crashers-7d9f-a", "PodDeleted", "exit code 137", "1 jobs failed [" + jobId + "]");
        });
    }

    @Test
    void aForceDeletedPodWhoseWorkerStillHeartbeatsIsNotPruned(TestDatabase db) throws Exception {
        createPool("partitioned");
        Pod pod = runningPod("partitioned", "partitioned-5c2e-b");
        startWorker(db, "partitioned", pod);
        long jobId = holdJob(db, "partitioned");

        pods.delete(pod);

        // Its heartbeat stays fresh (threshold 5 s): the job must stay with it.
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.RUNNING);
        assertThat(pool("partitioned").getStatus().getPrunedTotal()).isZero();
    }

    @Test
    void onANodeThatIsNotReadyTheHeartbeatDecidesAndTheReasonIsNodeLost(TestDatabase db) throws Exception {
        var node = client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("lost-node").endMetadata()
                .build()).create();
        node.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder().addNewCondition().withType("Ready").withStatus("Unknown")
                .withReason("NodeStatusUnknown").withLastTransitionTime(Instant.now().toString()).endCondition().build());
        client.nodes().resource(node).updateStatus();
        createPool("stranded-node");
        Pod pod = runningPod("stranded-node", "stranded-node-1f3a-d", "lost-node");
        Process worker = startWorker(db, "stranded-node", pod);
        long jobId = holdJob(db, "stranded-node");

        // The node stops answering: its Pod still looks Running, so only the heartbeat can tell.
        sigkill(worker);
        long killedAt = System.nanoTime();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.RUNNING);
        await().atMost(Duration.ofSeconds(10)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.FAILED);
        System.out.println("prune latency from SIGKILL to ProcessPrunedError, heartbeat only (alive threshold 5 s): "
                + (System.nanoTime() - killedAt) / 1_000_000 + " ms");
        JobView.JobError error = job(db, jobId).lastError();
        assertThat(error.reason()).isEqualTo("NodeLost");
        assertThat(error.node()).isEqualTo("lost-node");
        assertThat(error.message()).contains("no heartbeat since", "not Ready");
    }

    @Test
    void anOomKilledContainerIsRecordedAsOomKilled(TestDatabase db) throws Exception {
        createPool("hungry");
        Pod pod = runningPod("hungry", "hungry-9a1b-c");
        Process worker = startWorker(db, "hungry", pod);
        long jobId = holdJob(db, "hungry");

        sigkill(worker);
        Pod current = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).get();
        current.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("worker").withReady(false).withRestartCount(1)
                .withImage("stevedore/worker:test").withImageID("")
                .withNewState().withNewRunning().withStartedAt(Instant.now().plusSeconds(2).toString()).endRunning().endState()
                .withNewLastState().withNewTerminated().withExitCode(137).withReason("OOMKilled").withFinishedAt(Instant.now().toString())
                .endTerminated().endLastState().build()));
        client.pods().inNamespace(NS).resource(current).updateStatus();

        await().atMost(Duration.ofSeconds(2)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.FAILED);
        JobView.JobError error = job(db, jobId).lastError();
        assertThat(error.reason()).isEqualTo("OOMKilled");
        assertThat(error.exitCode()).isEqualTo(137);
        assertThat(error.pod()).isEqualTo("hungry-9a1b-c");
    }

    @Test
    void whileTheDatabaseIsUnreachableNothingIsPrunedAndTheConditionSaysWhy() {
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("down-db").endMetadata()
                .addToData("jdbc-uri", b64("jdbc:postgresql://127.0.0.1:1/nowhere")).build()).serverSideApply();
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName("stranded");
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(0);
        DatabaseSpec database = new DatabaseSpec();
        database.setSecretName("down-db");
        spec.setDatabase(database);
        pool.setSpec(spec);
        client.resource(pool).create();

        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            var condition = PoolStatus.find(pool("stranded").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow();
            assertThat(condition.getStatus()).isEqualTo("False");
            assertThat(condition.getReason()).isEqualTo("Unreachable");
            assertThat(condition.getMessage()).contains("nothing is pruned", "Connection to 127.0.0.1:1 refused");
        });
        assertThat(pool("stranded").getStatus().getPrunedTotal()).isZero();
    }

    @Test
    void aPasswordInACloudNativePgUriAppearsInNoLogStatusOrEvent(TestDatabase db) throws Exception {
        String password = db.password() == null || db.password().isBlank() ? "cnpg-s3cret-Pw" : db.password();
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            // A CloudNativePG application secret: jdbc-uri carries the password in its query string.
            String sep = db.jdbcUrl().contains("?") ? "&" : "?";
            cnpgSecret("cnpg-app", db.jdbcUrl() + sep + "password=" + password, db.user());
            cnpgSecret("cnpg-down", "jdbc:postgresql://127.0.0.1:1/app?password=" + password + "&user=app", "app");
            cnpgSecret("cnpg-bad", "jdbc:postgres://db.example:5432/app?password=" + password, "app");
            createPool("cnpg", "cnpg-app");
            createPool("cnpg-down", "cnpg-down");
            createPool("cnpg-bad", "cnpg-bad");

            Pod pod = runningPod("cnpg", "cnpg-5c6d-a");
            Process worker = startWorker(db, "cnpg", pod);
            long jobId = holdJob(db, "cnpg");
            sigkill(worker);
            pods.reportTerminated(pod, 137, "Error");
            pods.delete(pod);
            await().atMost(Duration.ofSeconds(10)).until(() -> job(db, jobId).state() == dev.stevedore.queue.JobState.FAILED);

            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                assertThat(PoolStatus.find(pool("cnpg-down").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()).isEqualTo("False");
                assertThat(PoolStatus.find(pool("cnpg-bad").getStatus(), PoolStatus.DEGRADED).orElseThrow().getMessage())
                        .contains("spec.database.urlKey", "not a PostgreSQL JDBC URL");
                assertThat(pool("cnpg").getStatus().getPrunedTotal()).isEqualTo(1L);
            });
            StringBuilder seen = new StringBuilder();
            for (String name : List.of("cnpg", "cnpg-down", "cnpg-bad")) {
                seen.append(io.fabric8.kubernetes.client.utils.Serialization.asYaml(pool(name).getStatus()));
            }
            client.v1().events().inNamespace(NS).list().getItems().forEach(e -> seen.append(e.getMessage()).append('\n'));
            logged.forEach(l -> seen.append(l).append('\n'));
            assertThat(PoolStatus.find(pool("cnpg-down").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getMessage())
                    .contains("Connection to 127.0.0.1:1 refused");
            assertThat(seen.toString()).contains("cnpg-5c6d-a", "not a PostgreSQL JDBC URL").doesNotContain(password);
        } finally {
            root.removeHandler(capture);
        }
    }

    private void cnpgSecret(String name, String jdbcUri, String user) {
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToData("jdbc-uri", b64(jdbcUri)).addToData("username", b64(user)).build()).serverSideApply();
    }

    /**
     * A database failover (the proxy drops every connection and refuses new ones) longer than the alive
     * threshold, with worker Pods Running on a Ready node: when the database answers the operator again, every
     * heartbeat is stale, yet no worker is dead. The operator's path comes back first, so it reads stale rows
     * before the workers can heartbeat.
     */
    @Test
    void afterADatabaseOutageLongerThanTheAliveThresholdNoLiveWorkerIsPruned(TestDatabase db) throws Exception {
        readyNode("steady-node");
        try (TcpProxy operatorPath = TcpProxy.forJdbcUrl(db.jdbcUrl()); TcpProxy workerPath = TcpProxy.forJdbcUrl(db.jdbcUrl())) {
            client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("failover-db").endMetadata()
                    .addToData("jdbc-uri", b64(operatorPath.jdbcUrl(db.jdbcUrl()))).addToData("username", b64(db.user()))
                    .addToData("password", b64(db.password() == null ? "" : db.password())).build()).serverSideApply();
            createPool("failover", "failover-db");
            List<Long> jobs = new ArrayList<>();
            for (String name : List.of("failover-6b7c-a", "failover-6b7c-b")) {
                pods.startWorker(db, workerPath.jdbcUrl(db.jdbcUrl()), "failover", runningPod("failover", name, "steady-node"));
            }
            jobs.add(holdJob(db, "failover"));
            jobs.add(holdJob(db, "failover"));

            operatorPath.cut();
            workerPath.cut();
            QueueAdmin admin = new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    "False".equals(PoolStatus.find(pool("failover").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()));
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.processes("prune/failover").stream().noneMatch(p -> p.alive()));

            operatorPath.restore();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    "True".equals(PoolStatus.find(pool("failover").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()));
            workerPath.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.processes("prune/failover").stream().allMatch(p -> p.alive()));
            // Two alive thresholds on a settled database: time for any verdict to be acted on.
            await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).until(() ->
                    jobs.stream().allMatch(id -> job(db, id).state() == dev.stevedore.queue.JobState.RUNNING));
            assertThat(pool("failover").getStatus().getPrunedTotal()).isZero();
        }
    }

    /**
     * Every statement slow: the proxies hold each chunk of bytes back, so heartbeats land further apart than the
     * alive threshold (1 s interval, 2 s threshold) while every worker lives. Neither the operator nor the workers
     * may take those stale heartbeats for deaths: the operator's own reads are slow too, and so are the workers'.
     */
    @Test
    void aDatabaseSoSlowThatHeartbeatsGoStalePrunesNoLiveWorker(TestDatabase db) throws Exception {
        readyNode("steady-node");
        try (TcpProxy operatorPath = TcpProxy.forJdbcUrl(db.jdbcUrl()); TcpProxy workerPath = TcpProxy.forJdbcUrl(db.jdbcUrl())) {
            client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("slow-db").endMetadata()
                    .addToData("jdbc-uri", b64(operatorPath.jdbcUrl(db.jdbcUrl()))).addToData("username", b64(db.user()))
                    .addToData("password", b64(db.password() == null ? "" : db.password())).build()).serverSideApply();
            createPool("slow", "slow-db");
            java.util.Map<String, String> fast = java.util.Map.of("STEVEDORE_HEARTBEAT_INTERVAL", "1s", "STEVEDORE_ALIVE_THRESHOLD", "2s");
            for (String name : List.of("slow-3d4e-a", "slow-3d4e-b")) {
                pods.startWorker(db, workerPath.jdbcUrl(db.jdbcUrl()), "slow", runningPod("slow", name, "steady-node"), fast);
            }
            List<Long> jobs = List.of(holdJob(db, "slow"), holdJob(db, "slow"));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    "True".equals(PoolStatus.find(pool("slow").getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()));

            operatorPath.delay(Duration.ofMillis(450));
            workerPath.delay(Duration.ofMillis(450));
            QueueAdmin admin = new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT);
            // The precondition: read directly, some heartbeat is older than its threshold.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> admin.processes("prune/slow").stream().anyMatch(p -> !p.alive()));
            await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).until(() ->
                    jobs.stream().allMatch(id -> job(db, id).state() == dev.stevedore.queue.JobState.RUNNING));

            operatorPath.restore();
            workerPath.restore();
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.processes("prune/slow").stream().allMatch(p -> p.alive()));
            assertThat(jobs).allSatisfy(id -> assertThat(job(db, id).state()).isEqualTo(dev.stevedore.queue.JobState.RUNNING));
            assertThat(pool("slow").getStatus().getPrunedTotal()).isZero();
        }
    }

    private void readyNode(String name) {
        var node = client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .build()).serverSideApply();
        node.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder().addNewCondition().withType("Ready").withStatus("True")
                .withReason("KubeletReady").withLastTransitionTime(Instant.now().toString()).endCondition().build());
        client.nodes().resource(node).updateStatus();
    }
}
