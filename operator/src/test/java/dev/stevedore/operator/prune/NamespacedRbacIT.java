package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.operator.PackagedOperator;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.pool.PoolStatus;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.kube.TestKubernetes;
import dev.stevedore.testkit.postgres.PostgresExtension;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An operator that watches a list of namespaces needs no cluster-wide rule but reading Nodes: it runs, as its
 * ServiceAccount, under Roles in the watched namespaces only, manages their pools, and cannot touch others.
 */
@ExtendWith(PostgresExtension.class)
class NamespacedRbacIT {

    @RegisterExtension
    static final TestKubernetes kube = TestKubernetes.apiServer();

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static void pool(KubernetesClient client, TestDatabase db, String ns) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("queue-db").endMetadata()
                .addToData("jdbc-uri", b64(db.jdbcUrl())).addToData("username", b64(db.user())).build()).serverSideApply();
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName("mailers");
        pool.getMetadata().setNamespace(ns);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(1);
        DatabaseSpec database = new DatabaseSpec();
        database.setSecretName("queue-db");
        spec.setDatabase(database);
        pool.setSpec(spec);
        client.resource(pool).create();
    }

    @Test
    void watchingTwoNamespacesTheOperatorWorksUnderRolesInThemAndANodesReaderOnly(TestDatabase db) throws Exception {
        KubernetesClient client = kube.client();
        PackagedOperator.installCrd(client);
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);
        for (String ns : List.of("team-a", "team-b", "team-c")) {
            pool(client, db, ns);
        }
        String token = PackagedOperator.installNamespaced(client, List.of("team-a", "team-b"));
        Process operator = PackagedOperator.start(kube, "namespaced", token, Map.of("QUARKUS_OPERATOR_SDK_NAMESPACES", "team-a,team-b"));
        try {
            for (String ns : List.of("team-a", "team-b")) {
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                    assertThat(client.apps().deployments().inNamespace(ns).withName("mailers").get()).isNotNull();
                    JobWorkerPool p = client.resources(JobWorkerPool.class).inNamespace(ns).withName("mailers").get();
                    assertThat(PoolStatus.find(p.getStatus(), PoolStatus.DATABASE_REACHABLE).orElseThrow().getStatus()).isEqualTo("True");
                });
            }
            // A namespace it does not watch: no Deployment, no status, and its rules would not have allowed either.
            assertThat(client.resources(JobWorkerPool.class).inNamespace("team-c").withName("mailers").get().getStatus()).isNull();
            assertThat(client.apps().deployments().inNamespace("team-c").list().getItems()).extracting(Deployment::getMetadata).isEmpty();
            assertThat(client.rbac().clusterRoles().list().getItems()).filteredOn(r -> r.getMetadata().getName().startsWith("stevedore"))
                    .allSatisfy(r -> assertThat(r.getRules()).allSatisfy(rule -> assertThat(rule.getResources()).containsOnly("nodes")));
            assertThat(Files.readString(PackagedOperator.log("namespaced"))).as("Roles in the watched namespaces cover every call")
                    .doesNotContainIgnoringCase("forbidden");
        } finally {
            operator.destroyForcibly();
        }
    }
}
