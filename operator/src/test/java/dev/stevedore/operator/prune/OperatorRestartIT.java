package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
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

    /** Applies the generated ServiceAccount and RBAC into "default" and returns a token of that ServiceAccount. */
    private static String operatorToken(KubernetesClient client) throws Exception {
        List<HasMetadata> generated;
        try (var in = Files.newInputStream(Path.of("target", "kubernetes", "kubernetes.yml"))) {
            generated = client.load(in).items();
        }
        for (HasMetadata item : generated) {
            switch (item.getKind()) {
                case "ServiceAccount", "Role", "RoleBinding" -> {
                    item.getMetadata().setNamespace("default");
                    if (item instanceof RoleBinding rb) {
                        rb.getSubjects().forEach(subject -> subject.setNamespace("default"));
                    }
                    client.resource(item).serverSideApply();
                }
                case "ClusterRole" -> client.resource(item).serverSideApply();
                case "ClusterRoleBinding" -> {
                    ((ClusterRoleBinding) item).getSubjects().forEach(subject -> subject.setNamespace("default"));
                    client.resource(item).serverSideApply();
                }
                default -> {
                    // the operator's own Deployment, Service and ServiceMonitor are not needed here
                }
            }
        }
        String account = generated.stream().filter(i -> i.getKind().equals("ServiceAccount")).findFirst().orElseThrow().getMetadata().getName();
        return client.serviceAccounts().inNamespace("default").withName(account)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    private Process startOperator(int run, String token) throws Exception {
        Config config = Config.fromKubeconfig(kube.kubeconfigYaml());
        Path log = Files.createDirectories(Path.of("target", "operator-logs")).resolve("operator-" + run + ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "quarkus-run.jar")
                .directory(Path.of("target", "quarkus-app").toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", config.getMasterUrl());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_CA_CERT_FILE", config.getCaCertFile());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_TOKEN", token); // its own ServiceAccount, not the admin certificate
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", "default"); // where the leader Lease lives
        pb.environment().put("HOSTNAME", "operator-it"); // the same identity after the restart takes the Lease back at once
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        Process operator = pb.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("Started event processing for controller: jobworkerpool") || !operator.isAlive());
        assertThat(operator.isAlive()).as("operator started; log %s", log).isTrue();
        return operator;
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
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .load(Files.newInputStream(Path.of("..", "crds", "jobworkerpools.stevedore.dev-v1.yml"))).item();
        client.resource(crd).serverSideApply();
        await().atMost(Duration.ofSeconds(30)).until(() -> client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                .get().getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
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

        String token = operatorToken(client);
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
                    assertThat(Files.readString(Path.of("target", "operator-logs", "operator-" + run + ".log")))
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
