package dev.stevedore.e2e;

import dev.stevedore.e2e.install.Helm;
import static dev.stevedore.e2e.OperatorInstall.OPERATOR_NAMESPACE;
import static dev.stevedore.e2e.OperatorInstall.POOL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import dev.stevedore.queue.JobClient;
import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.NewJob;
import dev.stevedore.queue.QueueAdmin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart as a platform team uses it, on the real node: {@code helm install} runs the operator as a Pod from
 * its image, under the chart's RBAC and ServiceAccount, with its ServiceMonitor, PodMonitor and PrometheusRule; the
 * example pool becomes Ready workers; the workers and the operator export every metric the dashboard and the alerts
 * read; {@code helm upgrade} rolls the operator; {@code helm uninstall} removes it and leaves the CRD and the pools.
 */
@ExtendWith(RealNode.class)
@Order(3)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmInstallIT {

    private static final String RELEASE = "stevedore-operator";
    private static final String POOL_NAMESPACE = "helm-e2e";
    /** Cluster-scoped objects carry the release's namespace in their name. */
    private static final String CLUSTER_ROLE = RELEASE + "-" + OPERATOR_NAMESPACE;

    private static LocalCluster cluster;
    private static KubernetesClient client;
    private static TestDatabase db;
    private static String operatorImage;
    private static DataSource dataSource;

    @BeforeAll
    static void aDatabaseWithTheQueueTablesAndThePrometheusOperatorsCrds() throws Exception {
        cluster = RealNode.cluster();
        client = cluster.client();
        operatorImage = RealNode.images().operator();
        db = cluster.database().createDatabase("e2e_helm");
        dataSource = db.dataSource();
        QueueMigrator.migrate(dataSource, QueueSchema.DEFAULT);
        // The chart's ServiceMonitor, PodMonitor and PrometheusRule are installed for real, against the published CRDs.
        OperatorInstall.installPublishedCrds(cluster, "prometheus-operator-", "servicemonitors", "podmonitors", "prometheusrules");
    }

    @AfterAll
    static void removeWhatTheTestMade() {
        if (client == null) {
            return;
        }
        RealNode.helm().run(cluster, "uninstall", RELEASE, "-n", OPERATOR_NAMESPACE, "--wait");
        client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(POOL_NAMESPACE).delete();
        client.namespaces().withName(POOL_NAMESPACE).delete();
        client.namespaces().withName(OPERATOR_NAMESPACE).delete();
        await().atMost(Duration.ofMinutes(2)).until(() -> client.namespaces().withName(POOL_NAMESPACE).get() == null
                && client.namespaces().withName(OPERATOR_NAMESPACE).get() == null);
    }

    @Test
    @Order(1)
    void helmInstallRunsTheOperatorAsAReadyPodFromItsImage() {
        String repository = operatorImage.substring(0, operatorImage.lastIndexOf(':'));
        String tag = operatorImage.substring(operatorImage.lastIndexOf(':') + 1);
        Helm.Result install = RealNode.helm().run(cluster, "install", RELEASE, RealNode.helm().chart().toString(), "--namespace", OPERATOR_NAMESPACE,
                "--create-namespace", "--set", "image.repository=" + repository, "--set", "image.tag=" + tag,
                "--set", "metrics.service.enabled=true,metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true",
                "--set", "metrics.prometheusRule.enabled=true", "--wait", "--timeout", "3m")
                .requireSuccess("helm install");
        assertThat(install.output()).contains("STATUS: deployed", "kubectl get jobworkerpools");
        for (String kind : List.of("servicemonitor", "podmonitor", "prometheusrule")) {
            Kubectl.Result get = Kubectl.run(cluster, "get", kind, "-n", OPERATOR_NAMESPACE, "-o", "name");
            assertThat(get.output()).as("the chart's %s", kind).contains(kind + ".monitoring.coreos.com/stevedore-operator");
        }

        Pod operator = OperatorInstall.awaitReadyOperators(client, 1, operatorImage).get(0);
        assertThat(operator.getSpec().getServiceAccountName()).isEqualTo(RELEASE);
        assertThat(client.rbac().clusterRoles().withName(CLUSTER_ROLE).get()).as("the chart's ClusterRole").isNotNull();
        assertThat(client.rbac().clusterRoleBindings().withName(CLUSTER_ROLE).get()).isNotNull();
        assertThat(operator.getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
        Kubectl.Result id = Kubectl.run(cluster, "exec", "-n", OPERATOR_NAMESPACE, operator.getMetadata().getName(), "--", "id", "-u");
        assertThat(id.output().strip()).as("the image's user").isEqualTo("185");
    }

    @Test
    @Order(2)
    void theExamplePoolBecomesReadyWorkerPodsShownByKubectlGetJwp() throws Exception {
        OperatorInstall.applyExamplePool(cluster, POOL_NAMESPACE, db, 2);
        String shown = OperatorInstall.awaitPoolShown(cluster, POOL_NAMESPACE, 2);
        System.out.println("kubectl get jwp -n " + POOL_NAMESPACE + "\n" + shown);
        assertThat(client.pods().inNamespace(POOL_NAMESPACE).withLabel("stevedore.dev/pool", POOL).list().getItems())
                .hasSize(2).allMatch(OperatorInstall::ready);
    }

    @Test
    @Order(3)
    void everyMetricTheDashboardAndTheAlertsUseIsExportedByTheWorkersAndTheOperator() throws Exception {
        // A pool with the demo handlers, so that completions, failures, retries and a prune all happen for real.
        Kubectl.Result applied = Kubectl.runWithInput(cluster, """
                apiVersion: stevedore.dev/v1alpha1
                kind: JobWorkerPool
                metadata:
                  name: demo
                spec:
                  image: %s
                  replicas: 2
                  queues: [demo]
                  threads: 2
                  database: {secretName: queue-db}
                  heartbeatInterval: 1s
                  aliveThreshold: 5s
                  template:
                    env:
                      - {name: STEVEDORE_DEMO_HANDLERS, value: "true"}
                    resources:
                      requests: {cpu: 50m, memory: 256Mi}
                      limits: {memory: 384Mi}
                """.formatted(RealNode.images().worker()), "apply", "-n", POOL_NAMESPACE, "-f", "-");
        assertThat(applied.exitCode()).as(applied.output()).isZero();
        await().atMost(OperatorInstall.POD_START).until(() -> demoWorkers().size() == 2 && demoWorkers().stream().allMatch(OperatorInstall::ready));

        JobClient jobs = new JobClient(dataSource, QueueSchema.DEFAULT);
        for (int i = 0; i < 10; i++) {
            jobs.enqueue(NewJob.of("demo", "sleep").args("{\"ms\": 50}").build());
        }
        jobs.enqueue(NewJob.of("demo", "fail").args("{\"message\": \"for good\"}").maxAttempts(1).build());
        jobs.enqueue(NewJob.of("demo", "fail").args("{\"message\": \"retried, then for good\"}").maxAttempts(2).build());
        QueueAdmin admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.stats().jobs().get(JobState.COMPLETED) >= 10
                && admin.stats().jobs().get(JobState.FAILED) == 2);
        Set<String> exposed = new TreeSet<>();
        for (Pod worker : demoWorkers()) {
            exposed.addAll(MonitoringAssets.exposed(scrape(worker)));
        }

        // A worker dies mid-job (the JVM halts with 137, as the kernel's SIGKILL would): the operator prunes it.
        long crash = jobs.enqueue(NewJob.of("demo", "crash").args("{\"exitCode\": 137}").maxAttempts(1).build()).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.show(crash).orElseThrow().state() == JobState.FAILED);
        assertThat(admin.show(crash).orElseThrow().lastError().errorClass()).isEqualTo("ProcessPrunedError");
        Pod operator = OperatorInstall.operatorPods(client).get(0);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(scrape(operator)).contains("stevedore_operator_pruned_jobs_total{pool=\"" + POOL_NAMESPACE + "/demo\""));
        exposed.addAll(MonitoringAssets.exposed(scrape(operator)));

        Set<String> used = MonitoringAssets.metricNames();
        System.out.println("metrics the dashboard and the alerts use: " + used);
        assertThat(used).as("the dashboard and the alerts read Stevedore's metrics").hasSizeGreaterThan(10);
        assertThat(exposed).as("every metric the dashboard and alerts use is exported by a worker or the operator").containsAll(used);
    }

    private static List<Pod> demoWorkers() {
        return client.pods().inNamespace(POOL_NAMESPACE).withLabel("stevedore.dev/pool", "demo").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** GET /q/metrics of a Pod, at its IP on the pod network: what a Prometheus in the cluster would scrape. */
    private static String scrape(Pod pod) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + pod.getStatus().getPodIP() + ":8080/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    @Order(4)
    void theDashboardRunsFromItsImageReadsTheQueueAndTakesChangesOnlyWithTheToken() throws Exception {
        String image = RealNode.images().dashboard();
        String token = "e2e-dashboard-token-" + System.nanoTime();
        // The database Secret, with the keys a pool reads, and the token's Secret, in the release namespace.
        client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("queue-db").withNamespace(OPERATOR_NAMESPACE)
                .endMetadata().withStringData(cluster.podDatabaseSecret(db.name(), db.user()))
                .build()).serverSideApply();
        client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("stevedore-dashboard").withNamespace(OPERATOR_NAMESPACE)
                .endMetadata().withStringData(java.util.Map.of("token", token)).build()).serverSideApply();
        RealNode.helm().run(cluster, "upgrade", RELEASE, RealNode.helm().chart().toString(), "--namespace", OPERATOR_NAMESPACE, "--reuse-values",
                "--set", "dashboard.enabled=true,dashboard.database.secretName=queue-db,dashboard.auth.tokenSecretName=stevedore-dashboard",
                "--set", "dashboard.image.repository=" + image.substring(0, image.lastIndexOf(':')) + ",dashboard.image.tag=" + image.substring(image.lastIndexOf(':') + 1),
                "--wait", "--timeout", "3m").requireSuccess("helm upgrade with the dashboard");

        Pod dashboard = await().atMost(OperatorInstall.POD_START).until(() -> client.pods().inNamespace(OPERATOR_NAMESPACE)
                .withLabel("app.kubernetes.io/name", "stevedore-dashboard").list().getItems().stream().filter(OperatorInstall::ready).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertThat(dashboard.getSpec().getContainers().get(0).getImage()).isEqualTo(image);
        String base = "http://" + dashboard.getStatus().getPodIP() + ":8080";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.discovery().v1().endpointSlices().inNamespace(OPERATOR_NAMESPACE)
                .withLabel("kubernetes.io/service-name", RELEASE + "-dashboard").list().getItems()).flatExtracting(s -> s.getEndpoints())
                .flatExtracting(e -> e.getAddresses()).as("the Service sends to the dashboard Pod").contains(dashboard.getStatus().getPodIP()));

        // The job the crashed worker held (test 3): its page says who died, where and how.
        QueueAdmin admin = new QueueAdmin(dataSource, QueueSchema.DEFAULT);
        JobView pruned = admin.list(JobFilter.all().withErrorClass("ProcessPrunedError").withLimit(1)).get(0);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + pruned.id())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("ProcessPrunedError", pruned.lastError().reason(), pruned.lastError().pod(), pruned.lastError().node());
        HttpResponse<String> prunes = http.send(HttpRequest.newBuilder(URI.create(base + "/prunes")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(prunes.body()).contains(POOL_NAMESPACE + "/demo", pruned.lastError().reason());

        // A change needs the token: refused without it, done with it.
        JobView failed = admin.list(JobFilter.all().withStates(Set.of(JobState.FAILED)).withHandler("fail").withLimit(1)).get(0);
        HttpRequest.Builder retry = HttpRequest.newBuilder(URI.create(base + "/jobs/" + failed.id() + "/retry"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(""));
        assertThat(http.send(retry.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(admin.show(failed.id()).orElseThrow().attempts()).isEqualTo(failed.attempts());
        assertThat(http.send(retry.header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(303);
        await().atMost(Duration.ofSeconds(60)).until(() -> admin.show(failed.id()).orElseThrow().attempts() > failed.attempts());
    }

    @Test
    @Order(5)
    void helmUpgradeWithAChangedValueRollsTheOperator() {
        Pod before = OperatorInstall.operatorPods(client).get(0);
        RealNode.helm().run(cluster, "upgrade", RELEASE, RealNode.helm().chart().toString(), "--namespace", OPERATOR_NAMESPACE, "--reuse-values",
                "--set", "logLevel=DEBUG", "--wait", "--timeout", "3m").requireSuccess("helm upgrade");

        List<Pod> after = OperatorInstall.awaitReadyOperators(client, 1, operatorImage);
        assertThat(after.get(0).getMetadata().getName()).as("a new operator Pod").isNotEqualTo(before.getMetadata().getName());
        assertThat(after.get(0).getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
                .contains(org.assertj.core.groups.Tuple.tuple("QUARKUS_LOG_CATEGORY__DEV_STEVEDORE__LEVEL", "DEBUG"));
        assertThat(RealNode.helm().run(cluster, "history", RELEASE, "-n", OPERATOR_NAMESPACE).requireSuccess("helm history").output())
                .contains("Upgrade complete");

        // The new operator manages the pool: a scale through the scale subresource is carried out and shown.
        Kubectl.Result scale = Kubectl.run(cluster, "scale", "jwp/" + POOL, "-n", POOL_NAMESPACE, "--replicas=1");
        assertThat(scale.exitCode()).as(scale.output()).isZero();
        OperatorInstall.awaitPoolShown(cluster, POOL_NAMESPACE, 1);
    }

    @Test
    @Order(6)
    void withTwoReplicasOneLeadsThroughItsLeaseAndBothAreReady() {
        RealNode.helm().run(cluster, "upgrade", RELEASE, RealNode.helm().chart().toString(), "--namespace", OPERATOR_NAMESPACE, "--reuse-values",
                "--set", "replicaCount=2", "--wait", "--timeout", "3m").requireSuccess("helm upgrade to 2 replicas");

        List<Pod> operators = OperatorInstall.awaitReadyOperators(client, 2, operatorImage);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Lease lease = client.leases().inNamespace(OPERATOR_NAMESPACE).withName("stevedore-operator-leader").get();
            assertThat(lease).as("the leader's Lease in the operator's namespace").isNotNull();
            assertThat(lease.getSpec().getHolderIdentity()).isIn(operators.stream().map(p -> p.getMetadata().getName()).toList());
        });
        assertThat(client.policy().v1().podDisruptionBudget().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE).get())
                .as("with 2 replicas, a budget keeps one through node drains").isNotNull();
    }

    @Test
    @Order(7)
    void helmUninstallRemovesTheOperatorAndLeavesTheCrdAndThePools() {
        RealNode.helm().run(cluster, "uninstall", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--wait").requireSuccess("helm uninstall");

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            assertThat(OperatorInstall.operatorPods(client)).isEmpty();
            assertThat(client.apps().deployments().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE).get()).isNull();
            assertThat(client.apps().deployments().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE + "-dashboard").get()).isNull();
            assertThat(client.serviceAccounts().inNamespace(OPERATOR_NAMESPACE).withName(RELEASE).get()).isNull();
            assertThat(client.rbac().clusterRoles().withName(CLUSTER_ROLE).get()).isNull();
            assertThat(client.rbac().clusterRoleBindings().withName(CLUSTER_ROLE).get()).isNull();
        });
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("jobworkerpools.stevedore.dev").get())
                .as("the CRD stays (Helm never deletes what crds/ installed)").isNotNull();
        assertThat(client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(POOL_NAMESPACE)
                .withName(POOL).get()).as("the pool stays").isNotNull();
        assertThat(client.pods().inNamespace(POOL_NAMESPACE).withLabel("stevedore.dev/pool", POOL).list().getItems())
                .as("its workers keep running").hasSize(1).allMatch(OperatorInstall::ready);
    }
}
