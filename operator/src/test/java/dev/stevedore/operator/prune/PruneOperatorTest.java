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
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName(name);
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(0); // this test makes its own Pods
        DatabaseSpec db = new DatabaseSpec();
        db.setSecretName("queue-db");
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
        assertThat(metrics).contains("stevedore_operator_prunes_total{reason=\"PodDeleted\"}", "stevedore_operator_prune_latency_seconds_bucket",
                "stevedore_operator_reconciles_total");
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
}
