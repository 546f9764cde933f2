package dev.stevedore.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.stevedore.operator.KubernetesTestResource;
import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolSpec;
import dev.stevedore.operator.model.PrunedJobsSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator running against a real kube-apiserver: what a user sees on the pool and its Deployment. */
@QuarkusTest
@QuarkusTestResource(KubernetesTestResource.class)
class JobWorkerPoolReconcilerTest {

    private static final String NS = "pools";

    @Inject
    KubernetesClient client;

    @BeforeEach
    void namespaceAndSecret() {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).serverSideApply();
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("queue-db").endMetadata()
                .addToData("jdbc-uri", b64("jdbc:postgresql://db:5432/app")).addToData("username", b64("app"))
                .addToData("password", b64("secret")).build()).serverSideApply();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static JobWorkerPool pool(String name) {
        JobWorkerPool pool = new JobWorkerPool();
        pool.getMetadata().setName(name);
        pool.getMetadata().setNamespace(NS);
        JobWorkerPoolSpec spec = new JobWorkerPoolSpec();
        spec.setImage("stevedore/worker:test");
        spec.setReplicas(2);
        spec.setQueues(List.of("mail", "pdf"));
        spec.setThreads(8);
        DatabaseSpec db = new DatabaseSpec();
        db.setSecretName("queue-db");
        spec.setDatabase(db);
        spec.setShutdownTimeout("40s");
        spec.setDrainTimeout("15s");
        PrunedJobsSpec pruned = new PrunedJobsSpec();
        pruned.setRetryPolicy(PrunedJobsSpec.RetryPolicy.Bounded);
        pruned.setRetryLimit(2);
        pruned.setRetryBackoff("1m");
        spec.setPrunedJobs(pruned);
        dev.stevedore.operator.model.RetentionSpec retention = new dev.stevedore.operator.model.RetentionSpec();
        retention.setFailed("30d");
        spec.setRetention(retention);
        spec.getTemplate().setLabels(Map.of("team", "billing"));
        spec.getTemplate().setNodeSelector(Map.of("pool", "workers"));
        spec.getTemplate().setServiceAccountName("billing-workers");
        pool.setSpec(spec);
        return pool;
    }

    private Deployment awaitDeployment(String name) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().deployments().inNamespace(NS).withName(name).get(),
                d -> d != null);
    }

    private static Map<String, EnvVar> env(Container c) {
        return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    }

    @Test
    void aPoolBecomesADeploymentWithTheWorkerContract() {
        JobWorkerPool created = client.resource(pool("mailers")).create();
        Deployment d = awaitDeployment("mailers");

        assertThat(d.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("JobWorkerPool");
            assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
        });
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getSpec().getSelector().getMatchLabels()).containsEntry(PoolLabels.POOL, "mailers");
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry(PoolLabels.POOL, "mailers").containsEntry("team", "billing");
        // drain 15 s + shutdown 40 s + 10 s margin
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(65L);
        assertThat(pod.getNodeSelector()).containsEntry("pool", "workers");
        assertThat(pod.getServiceAccountName()).isEqualTo("billing-workers");
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

        Container worker = pod.getContainers().get(0);
        assertThat(worker.getImage()).isEqualTo("stevedore/worker:test");
        assertThat(worker.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(worker.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(worker.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(worker.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(worker.getLifecycle().getPreStop().getHttpGet().getPath()).isEqualTo("/drain");
        assertThat(worker.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
        assertThat(worker.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");

        Map<String, EnvVar> env = env(worker);
        assertThat(env.get("STEVEDORE_DB_URL").getValueFrom().getSecretKeyRef().getName()).isEqualTo("queue-db");
        assertThat(env.get("STEVEDORE_DB_URL").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("jdbc-uri");
        assertThat(env.get("STEVEDORE_DB_PASSWORD").getValue()).as("never copied").isNull();
        assertThat(env.get("STEVEDORE_POOL").getValue()).isEqualTo(NS + "/mailers");
        assertThat(env.get("STEVEDORE_QUEUES").getValue()).isEqualTo("mail,pdf");
        assertThat(env.get("STEVEDORE_THREADS").getValue()).isEqualTo("8");
        assertThat(env.get("STEVEDORE_SHUTDOWN_TIMEOUT").getValue()).isEqualTo("40s");
        assertThat(env.get("STEVEDORE_DRAIN_TIMEOUT").getValue()).isEqualTo("15s");
        assertThat(env.get("STEVEDORE_PRUNED_RETRY_LIMIT").getValue()).isEqualTo("2");
        assertThat(env.get("STEVEDORE_PRUNED_RETRY_BACKOFF").getValue()).isEqualTo("1m");
        assertThat(env.get("STEVEDORE_COMPLETED_RETENTION").getValue()).isEqualTo("1d");
        assertThat(env.get("STEVEDORE_FAILED_RETENTION").getValue()).isEqualTo("30d");
        assertThat(env).as("discarded jobs are kept unless a retention is given").doesNotContainKey("STEVEDORE_DISCARDED_RETENTION");
        assertThat(env.get("POD_UID").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.uid");
        assertThat(env.get("NODE_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");

        JobWorkerPool withStatus = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.resources(JobWorkerPool.class).inNamespace(NS).withName("mailers").get(), p -> p.getStatus() != null);
        assertThat(withStatus.getStatus().getObservedGeneration()).isEqualTo(withStatus.getMetadata().getGeneration());
        assertThat(withStatus.getStatus().getSelector()).isEqualTo("app.kubernetes.io/name=stevedore-worker,stevedore.dev/pool=mailers");
        assertThat(condition(withStatus, PoolStatus.DEGRADED).getStatus()).isEqualTo("False");
        // No controller manager here, so no Pods: not available, still progressing.
        assertThat(condition(withStatus, PoolStatus.AVAILABLE).getStatus()).isEqualTo("False");
        assertThat(condition(withStatus, PoolStatus.PROGRESSING).getStatus()).isEqualTo("True");
    }

    @Test
    void aSpecChangeRollsOutAndScaleDrivesTheReplicas() throws Exception {
        client.resource(pool("renderers")).create();
        awaitDeployment("renderers");

        client.resources(JobWorkerPool.class).inNamespace(NS).withName("renderers").edit(p -> {
            p.getSpec().setImage("stevedore/worker:v2");
            p.getSpec().setShutdownTimeout("2m");
            return p;
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Deployment d = client.apps().deployments().inNamespace(NS).withName("renderers").get();
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("stevedore/worker:v2");
            assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(15L + 120 + 10);
        });

        assertThat(kubectl("scale", "jwp/renderers", "-n", NS, "--replicas=5")).contains("scaled");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(client.apps().deployments().inNamespace(NS).withName("renderers").get().getSpec().getReplicas()).isEqualTo(5));
        assertThat(client.resources(JobWorkerPool.class).inNamespace(NS).withName("renderers").get().getSpec().getReplicas()).isEqualTo(5);
    }

    @Test
    void aDisruptionBudgetIsCreatedOnRequestAndRemovedWhenNoLongerWanted() {
        JobWorkerPool withBudget = pool("budgeted");
        dev.stevedore.operator.model.DisruptionBudgetSpec budget = new dev.stevedore.operator.model.DisruptionBudgetSpec();
        budget.setMaxUnavailable(2);
        withBudget.getSpec().setPodDisruptionBudget(budget);
        client.resource(withBudget).create();

        var pdb = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("budgeted").get(), p -> p != null);
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(2);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry(PoolLabels.POOL, "budgeted");
        assertThat(pdb.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("JobWorkerPool"));

        client.resources(JobWorkerPool.class).inNamespace(NS).withName("budgeted").edit(p -> {
            p.getSpec().setPodDisruptionBudget(null);
            return p;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("budgeted").get() == null);
    }

    @Test
    void theApiServerRejectsASpecThatBreaksTheSchema() {
        JobWorkerPool bad = pool("bad-schema");
        bad.getSpec().setShutdownTimeout("forever");
        bad.getSpec().setThreads(0);
        assertThatThrownBy(() -> client.resource(bad).create())
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining("spec.shutdownTimeout").hasMessageContaining("spec.threads");
    }

    @Test
    void aSemanticallyWrongPoolIsReportedInItsConditionAndAnEvent() {
        JobWorkerPool wrong = pool("misconfigured");
        wrong.getSpec().setHeartbeatInterval("10s");
        wrong.getSpec().setAliveThreshold("15s");
        wrong.getSpec().getDatabase().setSecretName("no-such-secret");
        client.resource(wrong).create();

        JobWorkerPool reported = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.resources(JobWorkerPool.class).inNamespace(NS).withName("misconfigured").get(),
                p -> p.getStatus() != null && condition(p, PoolStatus.DEGRADED) != null);
        Condition degraded = condition(reported, PoolStatus.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getReason()).isEqualTo("InvalidSpec");
        assertThat(degraded.getMessage()).contains("spec.aliveThreshold (15s) must be at least twice spec.heartbeatInterval (10s)",
                "Secret 'no-such-secret' not found in namespace pools");
        assertThat(client.apps().deployments().inNamespace(NS).withName("misconfigured").get()).isNull();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("misconfigured");
                    assertThat(e.getReason()).isEqualTo("InvalidSpec");
                    assertThat(e.getType()).isEqualTo("Warning");
                }));

        // Fixing it brings the Deployment.
        client.resources(JobWorkerPool.class).inNamespace(NS).withName("misconfigured").edit(p -> {
            p.getSpec().setAliveThreshold("30s");
            p.getSpec().getDatabase().setSecretName("queue-db");
            return p;
        });
        awaitDeployment("misconfigured");
        await().atMost(Duration.ofSeconds(30)).until(() -> "False".equals(condition(
                client.resources(JobWorkerPool.class).inNamespace(NS).withName("misconfigured").get(), PoolStatus.DEGRADED).getStatus()));
    }

    /** A pool applied without a spec is reported like any invalid pool, and the operator keeps going. */
    @Test
    void aPoolWithoutASpecIsReportedNotCrashedOn() {
        JobWorkerPool empty = new JobWorkerPool();
        empty.getMetadata().setName("no-spec");
        empty.getMetadata().setNamespace(NS);
        client.resource(empty).create();

        JobWorkerPool reported = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.resources(JobWorkerPool.class).inNamespace(NS).withName("no-spec").get(),
                p -> p.getStatus() != null && condition(p, PoolStatus.DEGRADED) != null);
        Condition degraded = condition(reported, PoolStatus.DEGRADED);
        assertThat(degraded.getStatus()).isEqualTo("True");
        assertThat(degraded.getMessage()).isEqualTo("spec: missing; a JobWorkerPool needs at least spec.image and spec.database.secretName");
        assertThat(client.apps().deployments().inNamespace(NS).withName("no-spec").get()).isNull();
    }

    /** Runs the real kubectl against the test API server; returns its output. */
    private static String kubectl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(dev.stevedore.testkit.kube.KubeBinaries.pinned().binary("kubectl").toString(),
                "--kubeconfig", KubernetesTestResourceAccess.kubeconfig().toString()));
        command.addAll(List.of(args));
        Process kubectl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kubectl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kubectl.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void kubectlGetShowsThePrinterColumns() throws Exception {
        client.resource(pool("printed")).create();
        awaitDeployment("printed");
        String out = kubectl("get", "jwp", "-n", NS);
        assertThat(out.lines().findFirst().orElse("")).as(out).matches("NAME\\s+REPLICAS\\s+READY\\s+PROCESSES\\s+PRUNED\\s+AGE");
        assertThat(out).containsPattern("printed\\s+2\\s");
    }

    private static Condition condition(JobWorkerPool pool, String type) {
        return PoolStatus.find(pool.getStatus(), type).orElse(null);
    }

    /** The kubeconfig file of the test API server, for kubectl. */
    static final class KubernetesTestResourceAccess {
        static Path kubeconfig() {
            return dev.stevedore.operator.KubernetesTestResourceAccessor.kubeconfig();
        }
    }
}
