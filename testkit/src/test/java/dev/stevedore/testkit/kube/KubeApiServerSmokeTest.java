package dev.stevedore.testkit.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Proves the real API server: CRDs, custom resources, watches, validation and server-side apply. */
class KubeApiServerSmokeTest {

    @RegisterExtension
    static final TestKubernetes kube = TestKubernetes.apiServer();

    private static final ResourceDefinitionContext WIDGETS = new ResourceDefinitionContext.Builder()
            .withGroup("smoke.stevedore.dev").withVersion("v1").withKind("Widget").withPlural("widgets").withNamespaced(true).build();

    @BeforeAll
    static void installCrd() {
        KubernetesClient client = kube.client();
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .load(KubeApiServerSmokeTest.class.getResourceAsStream("/widget-crd.yaml")).item();
        client.resource(crd).fieldManager("smoke-test").forceConflicts().serverSideApply();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            CustomResourceDefinition current = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
            return current.getStatus() != null && current.getStatus().getConditions() != null && current.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
        });
    }

    @Test
    void reportsTheServerVersionItWasStartedAt() {
        assertThat(kube.client().getKubernetesVersion().getGitVersion()).isEqualTo("v" + KubeBinaries.pinned().version());
    }

    @Test
    void watchesCustomResourcesAsTheyAreAppliedAndChanged() {
        List<String> events = new CopyOnWriteArrayList<>();
        try (Watch ignored = widgets().inNamespace("default").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, GenericKubernetesResource resource) {
                events.add(action + " " + resource.getMetadata().getName() + " size=" + spec(resource).get("size"));
            }

            @Override
            public void onClose(WatcherException cause) {}
        })) {
            apply("watched", "smoke-a", Map.of("size", 1, "color", "red"), false);
            apply("watched", "smoke-a", Map.of("size", 2, "color", "red"), false);
            widgets().inNamespace("default").withName("watched").delete();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events)
                    .containsExactly("ADDED watched size=1", "MODIFIED watched size=2", "DELETED watched size=2"));
        }
    }

    @Test
    void serverSideApplyTracksFieldOwnersAndRefusesConflictsUnlessForced() {
        apply("shared", "smoke-a", Map.of("size", 1, "color", "red"), false);

        assertThatThrownBy(() -> apply("shared", "smoke-b", Map.of("size", 5), false))
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));

        apply("shared", "smoke-b", Map.of("size", 5), true);
        GenericKubernetesResource widget = widgets().inNamespace("default").withName("shared").get();
        assertThat(spec(widget)).containsEntry("size", 5).containsEntry("color", "red");
        assertThat(ownedSpecFields(widget, "smoke-a")).containsExactly("f:color");
        assertThat(ownedSpecFields(widget, "smoke-b")).containsExactly("f:size");

        // A manager that stops applying a field it no longer owns leaves the other owner's value alone.
        apply("shared", "smoke-a", Map.of("color", "blue"), false);
        assertThat(spec(widgets().inNamespace("default").withName("shared").get())).isEqualTo(Map.of("size", 5, "color", "blue"));
    }

    @Test
    void rejectsAResourceThatBreaksTheSchema() {
        assertThatThrownBy(() -> apply("invalid", "smoke-a", Map.of("size", 0), false))
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
                .hasMessageContaining("spec.size");
    }

    private static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> widgets() {
        return kube.client().genericKubernetesResources(WIDGETS);
    }

    private static GenericKubernetesResource apply(String name, String manager, Map<String, Object> spec, boolean force) {
        GenericKubernetesResource widget = new GenericKubernetesResourceBuilder()
                .withApiVersion("smoke.stevedore.dev/v1").withKind("Widget")
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .addToAdditionalProperties("spec", spec)
                .build();
        var applicable = widgets().inNamespace("default").resource(widget).fieldManager(manager);
        return force ? applicable.forceConflicts().serverSideApply() : applicable.serverSideApply();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
    }

    @SuppressWarnings("unchecked")
    private static List<String> ownedSpecFields(GenericKubernetesResource resource, String manager) {
        ManagedFieldsEntry entry = resource.getMetadata().getManagedFields().stream()
                .filter(m -> m.getManager().equals(manager)).findFirst().orElseThrow();
        assertThat(entry.getOperation()).isEqualTo("Apply");
        Map<String, Object> fields = entry.getFieldsV1().getAdditionalProperties();
        return List.copyOf(((Map<String, Object>) fields.get("f:spec")).keySet());
    }
}
