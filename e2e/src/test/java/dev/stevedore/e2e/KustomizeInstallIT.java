package dev.stevedore.e2e;

import static dev.stevedore.e2e.OperatorInstall.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.queue.QueueMigrator;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.testkit.postgres.TestDatabase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The GitOps path on the real node: the kustomize base applied with {@code kubectl apply -k} (through an overlay
 * that sets the image, as a GitOps repository would) runs the operator like the chart does; every example of
 * {@code deploy/examples} passes a server-side dry run, the KEDA ones against KEDA's published CRDs.
 */
@ExtendWith(RealNode.class)
@Order(4)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KustomizeInstallIT {

    private static final String POOL_NAMESPACE = "kustomize-e2e";

    private static LocalCluster cluster;
    private static KubernetesClient client;
    private static TestDatabase db;
    private static Path overlay;

    @BeforeAll
    static void anOverlayThatSetsTheImage() throws Exception {
        cluster = RealNode.cluster();
        client = cluster.client();
        db = cluster.database().createDatabase("e2e_kustomize");
        QueueMigrator.migrate(db.dataSource(), QueueSchema.DEFAULT);

        String image = RealNode.images().operator();
        overlay = Path.of("target", "kustomize-overlay").toAbsolutePath();
        Files.createDirectories(overlay);
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  # kustomize takes other bases by relative path (or a Git URL), as a GitOps repository would
                  - %s
                images:
                  - name: stevedore/operator
                    newName: %s
                    newTag: %s
                """.formatted(overlay.relativize(RealNode.projectDir().resolve("deploy/operator").toAbsolutePath()), image.substring(0, image.lastIndexOf(':')),
                image.substring(image.lastIndexOf(':') + 1)));
    }

    @AfterAll
    static void removeWhatTheTestMade() {
        if (client == null) {
            return;
        }
        client.genericKubernetesResources("stevedore.dev/v1alpha1", "JobWorkerPool").inNamespace(POOL_NAMESPACE).delete();
        client.namespaces().withName(POOL_NAMESPACE).delete();
        client.namespaces().withName("team-a").delete();
        Kubectl.run(cluster, "delete", "-k", overlay.toString(), "--ignore-not-found", "--wait=true");
        await().atMost(Duration.ofMinutes(2)).until(() -> client.namespaces().withName(OPERATOR_NAMESPACE).get() == null
                && client.namespaces().withName(POOL_NAMESPACE).get() == null);
    }

    @Test
    @Order(1)
    void kubectlApplyKOfTheOperatorBaseRunsAReadyOperatorThatManagesAPool() throws Exception {
        Kubectl.Result applied = Kubectl.run(cluster, "apply", "-k", overlay.toString());
        assertThat(applied.exitCode()).as(applied.output()).isZero();
        assertThat(applied.output()).contains("customresourcedefinition.apiextensions.k8s.io/jobworkerpools.stevedore.dev",
                "deployment.apps/stevedore-operator created");
        OperatorInstall.awaitReadyOperators(client, 1, RealNode.images().operator());

        OperatorInstall.applyExamplePool(cluster, POOL_NAMESPACE, db, 1);
        System.out.println("kubectl get jwp -n " + POOL_NAMESPACE + "\n" + OperatorInstall.awaitPoolShown(cluster, POOL_NAMESPACE, 1));
    }

    @Test
    @Order(2)
    void everyExampleIsAcceptedByAServerSideDryRunAgainstThePublishedCrds() throws Exception {
        OperatorInstall.installPublishedCrds(cluster, "keda-", "scaledobjects", "triggerauthentications");
        // A dry run creates nothing, so the examples' namespace must exist for the objects in it.
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build()).serverSideApply();
        String examples = KustomizeTest.run(List.of(cluster.kubectlBinary().toString(), "kustomize",
                RealNode.projectDir().resolve("deploy/examples").toString()));
        Kubectl.Result dryRun = Kubectl.runWithInput(cluster, examples, "apply", "--dry-run=server", "-f", "-");
        assertThat(dryRun.exitCode()).as(dryRun.output()).isZero();
        assertThat(dryRun.output()).contains("secret/queue-db created (server dry run)", "jobworkerpool.stevedore.dev/mailers created (server dry run)",
                "jobworkerpool.stevedore.dev/imports created (server dry run)", "scaledobject.keda.sh/mailers created (server dry run)",
                "triggerauthentication.keda.sh/queue-db created (server dry run)");

        // The server's validation is real: a ScaledObject the published schema refuses fails the same dry run.
        Kubectl.Result refused = Kubectl.runWithInput(cluster, examples.replace("minReplicaCount: 1", "minReplicaCount: one"),
                "apply", "--dry-run=server", "-f", "-");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.output()).contains("minReplicaCount");
    }
}
