package dev.stevedore.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.testkit.kube.TestKubernetes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged operator (target/quarkus-app, prod profile) as its own process, running as its ServiceAccount
 * in {@value #NAMESPACE} under the RBAC the build generates (target/kubernetes/kubernetes.yml), applied either
 * cluster-wide as generated, or namespaced: the same rules as Roles in each watched namespace, with only the
 * cluster-scoped Nodes left in a ClusterRole.
 */
public final class PackagedOperator {

    /** The operator's own namespace: its ServiceAccount and its leader Lease live there. */
    public static final String NAMESPACE = "default";

    private PackagedOperator() {}

    public static List<HasMetadata> generated() throws Exception {
        try (InputStream in = Files.newInputStream(Path.of("target", "kubernetes", "kubernetes.yml"))) {
            Object parsed = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(in);
            @SuppressWarnings("unchecked")
            List<HasMetadata> items = parsed instanceof List<?> list ? (List<HasMetadata>) list
                    : ((io.fabric8.kubernetes.api.model.KubernetesList) parsed).getItems();
            return items;
        }
    }

    public static void installCrd(KubernetesClient client) throws Exception {
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .load(Files.newInputStream(Path.of("..", "crds", "jobworkerpools.stevedore.dev-v1.yml"))).item();
        client.resource(crd).serverSideApply();
        // Right after the apply, the CRD may have no status conditions yet.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            var status = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get().getStatus();
            return status != null && status.getConditions() != null
                    && status.getConditions().stream().anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
        });
    }

    /** Applies the generated ServiceAccount and RBAC as they are; returns a token of that ServiceAccount. */
    public static String installClusterWide(KubernetesClient client) throws Exception {
        List<HasMetadata> generated = generated();
        for (HasMetadata item : generated) {
            switch (item.getKind()) {
                case "ServiceAccount", "Role", "RoleBinding" -> {
                    item.getMetadata().setNamespace(NAMESPACE);
                    if (item instanceof RoleBinding rb) {
                        rb.getSubjects().forEach(subject -> subject.setNamespace(NAMESPACE));
                    }
                    client.resource(item).serverSideApply();
                }
                case "ClusterRole" -> client.resource(item).serverSideApply();
                case "ClusterRoleBinding" -> {
                    ((ClusterRoleBinding) item).getSubjects().forEach(subject -> subject.setNamespace(NAMESPACE));
                    client.resource(item).serverSideApply();
                }
                default -> {
                    // the operator's own Deployment and Service are not needed here
                }
            }
        }
        return token(client, generated);
    }

    /**
     * Least privilege for an operator that watches {@code watched} only: the generated cluster rules become a
     * Role in each watched namespace, bound to the ServiceAccount; only Nodes (cluster-scoped, read for their
     * Ready condition) stay in a ClusterRole. The Lease Role stays in the operator's namespace.
     */
    public static String installNamespaced(KubernetesClient client, List<String> watched) throws Exception {
        List<HasMetadata> generated = generated();
        String account = account(generated);
        List<PolicyRule> namespaced = new ArrayList<>();
        List<PolicyRule> cluster = new ArrayList<>();
        for (HasMetadata item : generated) {
            switch (item.getKind()) {
                case "ServiceAccount", "Role", "RoleBinding" -> {
                    item.getMetadata().setNamespace(NAMESPACE);
                    if (item instanceof RoleBinding rb) {
                        rb.getSubjects().forEach(subject -> subject.setNamespace(NAMESPACE));
                    }
                    client.resource(item).serverSideApply();
                }
                case "ClusterRole" -> {
                    for (PolicyRule rule : ((ClusterRole) item).getRules()) {
                        (rule.getResources().contains("nodes") ? cluster : namespaced).add(rule);
                    }
                }
                default -> {
                    // ClusterRoleBindings are what namespaced mode does without
                }
            }
        }
        var subject = new SubjectBuilder().withKind("ServiceAccount").withName(account).withNamespace(NAMESPACE).build();
        client.resource(new ClusterRoleBuilder().withMetadata(new ObjectMetaBuilder().withName(account + "-nodes").build())
                .withRules(cluster).build()).serverSideApply();
        client.resource(new ClusterRoleBindingBuilder().withMetadata(new ObjectMetaBuilder().withName(account + "-nodes").build())
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", account + "-nodes").withSubjects(subject).build()).serverSideApply();
        for (String ns : watched) {
            Role role = new RoleBuilder().withMetadata(new ObjectMetaBuilder().withName(account).withNamespace(ns).build()).withRules(namespaced).build();
            client.resource(role).serverSideApply();
            client.resource(new RoleBindingBuilder().withMetadata(new ObjectMetaBuilder().withName(account).withNamespace(ns).build())
                    .withNewRoleRef("rbac.authorization.k8s.io", "Role", account).withSubjects(subject).build()).serverSideApply();
        }
        return token(client, generated);
    }

    private static String account(List<HasMetadata> generated) {
        return generated.stream().filter(i -> i.getKind().equals("ServiceAccount")).findFirst().orElseThrow().getMetadata().getName();
    }

    private static String token(KubernetesClient client, List<HasMetadata> generated) {
        return client.serviceAccounts().inNamespace(NAMESPACE).withName(account(generated))
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    public static Path log(String name) {
        return Path.of("target", "operator-logs", name + ".log");
    }

    /** Starts the operator with {@code token} (not the admin certificate) and waits until its controller runs. */
    public static Process start(TestKubernetes kube, String name, String token, Map<String, String> env) throws Exception {
        Config config = Config.fromKubeconfig(kube.kubeconfigYaml());
        Path log = log(name);
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", "quarkus-run.jar")
                .directory(Path.of("target", "quarkus-app").toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", config.getMasterUrl());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_CA_CERT_FILE", config.getCaCertFile());
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_TOKEN", token);
        pb.environment().put("QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NAMESPACE); // where the leader Lease lives
        pb.environment().put("HOSTNAME", "operator-it"); // the same identity after a restart takes the Lease back at once
        pb.environment().put("QUARKUS_HTTP_PORT", "0");
        pb.environment().putAll(env);
        Process operator = pb.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("Started event processing for controller: jobworkerpool")
                || !operator.isAlive());
        assertThat(operator.isAlive()).as("operator started; log %s", log).isTrue();
        return operator;
    }
}
