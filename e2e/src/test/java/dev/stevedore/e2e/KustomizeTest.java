package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.testkit.kube.KubeBinaries;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kustomize bases and examples of {@code deploy/}, rendered by the real kubectl, and kept in step with the chart. */
class KustomizeTest {

    @Test
    void theOperatorBaseIsTheChartRenderedWithItsDefaults() throws Exception {
        Path base = RealNode.projectDir().resolve("deploy/operator/operator.yaml");
        String rendered = run(List.of("bash", RealNode.projectDir().resolve("deploy/render-operator-base").toString(), "--stdout"));
        assertThat(Files.readString(base)).as("deploy/operator/operator.yaml is out of date with the chart: run deploy/render-operator-base")
                .isEqualTo(rendered);
        assertThat(rendered).doesNotContain("helm.sh/chart", "managed-by: Helm");
    }

    @Test
    void theCrdBaseHoldsTheGeneratedCrd() throws Exception {
        Path committed = RealNode.projectDir().resolve("crds/jobworkerpools.stevedore.dev-v1.yml");
        Path copy = RealNode.projectDir().resolve("deploy/crds/jobworkerpools.stevedore.dev-v1.yml");
        assertThat(Files.readString(copy)).as("deploy/crds must hold crds/%s as generated: cp %s %s", committed.getFileName(), committed, copy)
                .isEqualTo(Files.readString(committed));
    }

    @Test
    void theOperatorBaseRendersTheCrdNamespaceAndOperator() {
        List<HasMetadata> objects = kustomize("deploy/operator");
        assertThat(objects).extracting(HasMetadata::getKind).contains("CustomResourceDefinition", "Namespace", "ServiceAccount",
                "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment");
        assertThat(objects).filteredOn(o -> !o.getKind().startsWith("Cluster") && !o.getKind().equals("CustomResourceDefinition")
                && !o.getKind().equals("Namespace")).allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("stevedore-system"));
        assertThat(kustomize("deploy/crds")).singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("CustomResourceDefinition"));
    }

    @Test
    void theExamplesRenderAPoolWithSchedulesAPoolWithBoundedRetryASecretAndAScaledObject() {
        List<HasMetadata> objects = kustomize("deploy/examples");
        assertThat(objects).extracting(o -> o.getKind() + "/" + o.getMetadata().getName()).containsExactlyInAnyOrder(
                "Namespace/team-a", "Secret/queue-db", "JobWorkerPool/mailers", "JobWorkerPool/imports", "ScaledObject/mailers",
                "TriggerAuthentication/queue-db");
        Secret secret = (Secret) objects.stream().filter(Secret.class::isInstance).findFirst().orElseThrow();
        assertThat(secret.getStringData()).as("the keys of a CloudNativePG application secret").containsKeys("jdbc-uri", "username",
                "password", "uri", "host", "port", "dbname");
        GenericKubernetesResource bounded = (GenericKubernetesResource) objects.stream()
                .filter(o -> o.getMetadata().getName().equals("imports")).findFirst().orElseThrow();
        assertThat(bounded.<String>get("spec", "prunedJobs", "retryPolicy")).isEqualTo("Bounded");
        assertThat(bounded.<Integer>get("spec", "prunedJobs", "retryLimit")).isEqualTo(1);
        GenericKubernetesResource mailers = (GenericKubernetesResource) objects.stream()
                .filter(o -> o.getMetadata().getName().equals("mailers") && o.getKind().equals("JobWorkerPool")).findFirst().orElseThrow();
        assertThat(mailers.<String>get("spec", "schedules", 0, "cron")).isEqualTo("0 8 * * MON");
        assertThat(mailers.<String>get("spec", "schedules", 0, "args", "period")).isEqualTo("week");
        GenericKubernetesResource scaled = (GenericKubernetesResource) objects.stream().filter(o -> o.getKind().equals("ScaledObject"))
                .findFirst().orElseThrow();
        assertThat(scaled.<String>get("spec", "scaleTargetRef", "kind")).isEqualTo("JobWorkerPool");
        assertThat(objects).filteredOn(o -> !o.getKind().equals("Namespace"))
                .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo("team-a"));
        assertThat(objects).noneMatch(Deployment.class::isInstance);
    }

    static List<HasMetadata> kustomize(String directory) {
        Path kubectl = KubeBinaries.pinned().binary(KubeBinaries.KUBECTL);
        return HelmChartTest.parse(run(List.of(kubectl.toString(), "kustomize", RealNode.projectDir().resolve(directory).toString())));
    }

    static String run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed:\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
