package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the install tests share: the operator's Pods as a user sees them, and the example pool of
 * {@code deploy/examples/pool.yaml} applied with kubectl and watched with {@code kubectl get jwp}.
 */
final class OperatorInstall {

    static final String OPERATOR_NAMESPACE = "stevedore-system";
    static final String OPERATOR_LABEL = "app.kubernetes.io/name=stevedore-operator";
    static final String POOL = "mailers";
    static final Duration POD_START = Duration.ofMinutes(3);

    private OperatorInstall() {}

    static List<Pod> operatorPods(KubernetesClient client) {
        return client.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "stevedore-operator").list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }

    /** Waits for exactly {@code count} operator Pods, all Ready and running {@code image}; returns them. */
    static List<Pod> awaitReadyOperators(KubernetesClient client, int count, String image) {
        await().atMost(POD_START).untilAsserted(() -> assertThat(operatorPods(client)).hasSize(count).allSatisfy(pod -> {
            assertThat(ready(pod)).as("%s Ready", pod.getMetadata().getName()).isTrue();
            assertThat(pod.getSpec().getContainers().get(0).getImage()).isEqualTo(image);
        }));
        return operatorPods(client);
    }

    /**
     * A namespace with the database Secret (the keys of a CloudNativePG app secret) and the example pool of
     * {@code deploy/examples/pool.yaml}, with the test's worker image and {@code replicas} workers.
     */
    static void applyExamplePool(LocalCluster cluster, String namespace, TestDatabase db, int replicas) throws Exception {
        KubernetesClient client = cluster.client();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).serverSideApply();
        client.resource(new SecretBuilder().withNewMetadata().withName("queue-db").withNamespace(namespace).endMetadata()
                .withStringData(cluster.podDatabaseSecret(db.name(), db.user()))
                .build()).serverSideApply();
        String pool = Files.readString(RealNode.projectDir().resolve("deploy/examples/pool.yaml"))
                .replaceFirst("(?m)^  image: .*$", "  image: " + RealNode.images().worker())
                .replaceFirst("(?m)^spec:$", "spec:\n  replicas: " + replicas)
                // The example's CPU requests are for a real cluster; this node has two cores for everything.
                .replace("cpu: 250m", "cpu: 50m");
        Kubectl.Result applied = Kubectl.runWithInput(cluster, pool, "apply", "-n", namespace, "-f", "-");
        assertThat(applied.exitCode()).as(applied.output()).isZero();
    }

    /** Waits until {@code kubectl get jwp} shows the pool with {@code ready} Ready workers and as many processes. */
    static String awaitPoolShown(LocalCluster cluster, String namespace, int ready) {
        String[] shown = {""};
        await().atMost(POD_START).untilAsserted(() -> {
            Kubectl.Result get = Kubectl.run(cluster, "get", "jwp", "-n", namespace);
            assertThat(get.exitCode()).as(get.output()).isZero();
            shown[0] = get.output();
            List<String> lines = get.output().lines().toList();
            assertThat(lines.get(0).split("\\s+")).startsWith("NAME", "REPLICAS", "READY", "PROCESSES", "PRUNED", "AGE");
            List<String> row = lines.stream().filter(l -> l.startsWith(POOL + " ")).findFirst().map(l -> Arrays.asList(l.split("\\s+")))
                    .orElse(List.of());
            assertThat(row).as("the row of %s, every column filled", POOL).hasSizeGreaterThanOrEqualTo(6);
            assertThat(row.subList(0, 5)).containsExactly(POOL, String.valueOf(ready), String.valueOf(ready),
                    String.valueOf(ready), "0");
        });
        return shown[0];
    }

    /** Installs add-on CRDs as their projects publish them ({@code e2e/bin/published-crds}), and waits until they are served. */
    static void installPublishedCrds(LocalCluster cluster, String prefix, String... plurals) throws Exception {
        Path crds = LocalCluster.cacheRoot().resolve("crds");
        for (String plural : plurals) {
            Path crd;
            try (var files = Files.list(crds)) {
                crd = files.filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith("-" + plural + ".yaml"))
                        .findFirst().orElseThrow(() -> new IllegalStateException("no published " + plural + " CRD in " + crds
                                + ": run e2e/bin/published-crds (Maven runs it before the tests)"));
            }
            Kubectl.Result applied = Kubectl.run(cluster, "apply", "--server-side", "-f", crd.toString());
            assertThat(applied.exitCode()).as(applied.output()).isZero();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client().apiextensions().v1().customResourceDefinitions().list().getItems()
                .stream().filter(c -> List.of(plurals).contains(c.getSpec().getNames().getPlural())).filter(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream().anyMatch(cond -> cond.getType().equals("Established") && cond.getStatus().equals("True")))
                .count() == plurals.length);
    }
}
