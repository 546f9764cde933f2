package dev.stevedore.testkit.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Proves the controller manager: Deployment → ReplicaSet → Pods, and cascading deletion. */
class ControllerManagerSmokeTest {

    @RegisterExtension
    static final TestKubernetes kube = TestKubernetes.withControllerManager();

    @Test
    void aDeploymentProducesAReplicaSetAndPendingPodsAndTheirDeletionCascades() {
        KubernetesClient client = kube.client();
        Deployment deployment = client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder()
                .withNewMetadata().withName("smoke").endMetadata()
                .withNewSpec().withReplicas(2)
                .withNewSelector().addToMatchLabels("app", "smoke").endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", "smoke").endMetadata()
                .withNewSpec().addNewContainer().withName("worker").withImage("registry.invalid/worker:1").endContainer().endSpec()
                .endTemplate()
                .endSpec().build()).create();

        ReplicaSet replicaSet = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.apps().replicaSets().inNamespace("default").withLabel("app", "smoke").list().getItems(),
                sets -> sets.size() == 1).get(0);
        assertThat(ownerUids(replicaSet.getMetadata().getOwnerReferences())).containsExactly(deployment.getMetadata().getUid());

        List<Pod> pods = await().atMost(Duration.ofSeconds(30)).until(
                () -> client.pods().inNamespace("default").withLabel("app", "smoke").list().getItems(),
                list -> list.size() == 2);
        assertThat(pods).allSatisfy(pod -> {
            assertThat(ownerUids(pod.getMetadata().getOwnerReferences())).containsExactly(replicaSet.getMetadata().getUid());
            assertThat(pod.getStatus().getPhase()).isEqualTo("Pending");
            assertThat(pod.getSpec().getNodeName()).isNull();
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                client.apps().deployments().inNamespace("default").withName("smoke").get().getStatus().getReplicas()).isEqualTo(2));

        client.apps().deployments().inNamespace("default").withName("smoke").delete();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(client.apps().replicaSets().inNamespace("default").withLabel("app", "smoke").list().getItems()).isEmpty();
            assertThat(client.pods().inNamespace("default").withLabel("app", "smoke").list().getItems()).isEmpty();
        });
        assertThat(kube.controllerManager().isAlive()).isTrue();
    }

    private static List<String> ownerUids(List<OwnerReference> references) {
        return references.stream().map(OwnerReference::getUid).toList();
    }
}
