package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.operator.PackagedOperator;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.kube.TestKubernetes;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The packaged operator as its own process (prod profile, leader election on), running as its
 * ServiceAccount under the RBAC the build generates (so a missing rule fails here), killed with SIGKILL and
 * started again: no prune is done twice and no status is lost, and a worker that died while no operator ran
 * is still pruned afterwards.
 */
@ExtendWith(PostgresExtension.class)
class OperatorRestartIT {

    private static final String NS = "restart";

    @RegisterExtension
    static final TestKubernetes kube = TestKubernetes.apiServer();

    private Process startOperator(int run, String token) throws Exception {
        return PackagedOperator.start(kube, "operator-" + run, token, java.util.Map.of());
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static long holdJob(TestDatabase db, String queue) {
        long id = new JobClient(db.dataSource(), QueueSchema.DEFAULT).enqueue(NewJob.of(queue, "sleep").args("{\"ms\": 600000}").build()).orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> job(db, id).state() == JobState.RUNNING);
        return id;
    }

    private static JobView job(TestDatabase db, long id) {
        return new QueueAdmin(db.dataSource(), QueueSchema.DEFAULT).show(id).orElseThrow();
    }

    @Test
    void aRestartedOperatorNeitherPrunesTwiceNorForgetsItsStatus(TestDatabase db) throws Exception {
        KubernetesClient client = kube.client();
        PackagedOperator.installCrd(client);
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("queue-db").endMetadata()
                .addToData("jdbc-uri", b64(db.jdbcUrl())).addToData("username", b64(db.user())).build()).serverSideApply();
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName("survivors");
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(0);
        DatabaseSpec database = new DatabaseSpec();
        database.setSecretName("queue-db");
        spec.setDatabase(database);
        spec.setHeartbeatInterval("1s");
        spec.setAliveThreshold("5s");
        pool.setSpec(spec);
        client.resource(pool).create();

        String token = PackagedOperator.installClusterWide(client);
        try (WorkerPods pods = new WorkerPods(client, NS)) {
            Process operator = startOperator(1, token);
            try {
                Pod first = pods.runningPod("survivors", "survivors-a", "fake-node");
                Process firstWorker = pods.startWorker(db, "survivors", first);
                long firstJob = holdJob(db, "survivors");
                WorkerPods.sigkill(firstWorker);
                pods.reportTerminated(first, 137, "Error");
                pods.delete(first);
                await().atMost(Duration.ofSeconds(10)).until(() -> prunedTotal(client) == 1L);

                // The operator dies; a second worker dies while no operator runs.
                WorkerPods.sigkill(operator);
                Pod second = pods.runningPod("survivors", "survivors-b", "fake-node");
                Process secondWorker = pods.startWorker(db, "survivors", second);
                long secondJob = holdJob(db, "survivors");
                WorkerPods.sigkill(secondWorker);
                pods.delete(second);

                operator = startOperator(2, token);
                // Its Pod's last state was never seen: the stale heartbeat settles it.
                await().atMost(Duration.ofSeconds(20)).until(() -> job(db, secondJob).state() == JobState.FAILED);
                assertThat(job(db, secondJob).lastError().reason()).isEqualTo("HeartbeatExpired");
                await().atMost(Duration.ofSeconds(10)).until(() -> prunedTotal(client) == 2L);

                assertThat(job(db, firstJob).errors()).as("pruned once").satisfies(e -> assertThat(e.split("ProcessPrunedError", -1)).hasSize(2));
                var recent = client.resources(JobWorkerPool.class).inNamespace(NS).withName("survivors").get().getStatus().getRecentPrunes();
                assertThat(recent).extracting(r -> r.getReason()).containsExactly("HeartbeatExpired", "PodDeleted");
                for (int run = 1; run <= 2; run++) {
                    assertThat(Files.readString(PackagedOperator.log("operator-" + run)))
                            .as("the generated RBAC covers every call the operator makes").doesNotContainIgnoringCase("forbidden");
                }
            } finally {
                operator.destroyForcibly();
            }
        }
    }

    private static long prunedTotal(KubernetesClient client) {
        JobWorkerPool p = client.resources(JobWorkerPool.class).inNamespace(NS).withName("survivors").get();
        return p == null || p.getStatus() == null || p.getStatus().getPrunedTotal() == null ? -1 : p.getStatus().getPrunedTotal();
    }
}
