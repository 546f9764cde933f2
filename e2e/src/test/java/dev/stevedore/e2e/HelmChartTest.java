package dev.stevedore.e2e;

import dev.stevedore.e2e.install.Helm;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The Helm chart, through the real Helm CLI: lint, what it renders in each mode, and what its schema refuses. */
class HelmChartTest {

    private static final String RELEASE = "stevedore-operator";
    private static final String NAMESPACE = "stevedore-system";

    @Test
    void lintsCleanForTheDefaultsAndEachMode() {
        for (List<String> values : List.of(List.<String>of(), List.of("--set", "watchNamespaces={team-a,team-b}"),
                List.of("--set", "metrics.service.enabled=true,metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true,"
                        + "metrics.prometheusRule.enabled=true,replicaCount=2"),
                List.of("--set", "dashboard.enabled=true,dashboard.database.secretName=queue-db,dashboard.auth.tokenSecretName=dash"))) {
            List<String> args = new ArrayList<>(List.of("lint", "--strict", RealNode.helm().chart().toString()));
            args.addAll(values);
            Helm.Result lint = RealNode.helm().run(args.toArray(String[]::new)).requireSuccess("helm lint " + values);
            assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed").doesNotContain("[WARNING]", "[ERROR]");
        }
    }

    @Test
    void theCrdIsTheOneTheOperatorGenerates() throws Exception {
        Path committed = RealNode.projectDir().resolve("crds/jobworkerpools.stevedore.dev-v1.yml");
        Path inChart = RealNode.helm().chart().resolve("crds/jobworkerpools.stevedore.dev-v1.yml");
        assertThat(Files.readString(inChart))
                .as("the chart's CRD must be crds/%s as generated; copy it: cp %s %s", committed.getFileName(), committed, inChart)
                .isEqualTo(Files.readString(committed));
    }

    @Nested
    class ByDefault {

        private final List<HasMetadata> rendered = template();

        @Test
        void oneOperatorFromTheChartsImageWithProbesAndARestrictedContext() {
            Deployment deployment = only(Deployment.class);
            assertThat(deployment.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
            assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
            assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(RELEASE);
            Container operator = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(operator.getImage()).isEqualTo("stevedore/operator:" + chartAppVersion());
            assertThat(operator.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
            assertThat(operator.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
            assertThat(operator.getStartupProbe().getHttpGet().getPath()).isEqualTo("/q/health/started");
            assertThat(operator.getResources().getRequests()).containsKeys("cpu", "memory");
            assertThat(operator.getResources().getLimits()).containsKey("memory");
            assertThat(operator.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(operator.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(operator.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(deployment.getSpec().getTemplate().getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(env(operator, "QUARKUS_OPERATOR_SDK_NAMESPACES")).as("all namespaces").isEmpty();
            assertThat(only(ServiceAccount.class).getMetadata().getName()).isEqualTo(RELEASE);
        }

        @Test
        void clusterWideRulesAreExactlyTheOnesTheOperatorsBuildGenerates() throws Exception {
            ClusterRole role = only(ClusterRole.class);
            assertThat(triples(role.getRules())).isEqualTo(triples(generatedClusterRules()));
            ClusterRoleBinding binding = only(ClusterRoleBinding.class);
            assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
            assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
                assertThat(s.getName()).isEqualTo(RELEASE);
                assertThat(s.getNamespace()).isEqualTo(NAMESPACE);
            });
            assertThat(rendered).filteredOn(Role.class::isInstance).as("one Role: leader election").singleElement()
                    .satisfies(r -> assertLeaderElectionRole((Role) r));
        }

        @Test
        void noMetricsObjectsNoBudgetForOneReplica() {
            assertThat(rendered).noneMatch(Service.class::isInstance).noneMatch(PodDisruptionBudget.class::isInstance)
                    .noneMatch(r -> List.of("ServiceMonitor", "PodMonitor", "PrometheusRule").contains(r.getKind()));
        }

        private <T> T only(Class<T> type) {
            return HelmChartTest.only(rendered, type);
        }
    }

    @Nested
    class WatchingNamespaces {

        private final List<HasMetadata> rendered = template("--set", "watchNamespaces={team-a,team-b}");

        @Test
        void rolesInEachWatchedNamespaceAndNothingClusterWideButReadingNodes() throws Exception {
            ClusterRole clusterRole = only(rendered, ClusterRole.class);
            assertThat(triples(clusterRole.getRules())).containsExactly("/nodes/get");
            Set<String> poolRules = triples(generatedClusterRules());
            poolRules.remove("/nodes/get");
            List<Role> poolRoles = rendered.stream().filter(Role.class::isInstance).map(Role.class::cast)
                    .filter(r -> !r.getMetadata().getName().endsWith("-leader-election")).toList();
            assertThat(poolRoles).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("team-a", "team-b");
            poolRoles.forEach(role -> assertThat(triples(role.getRules())).isEqualTo(poolRules));
            assertThat(rendered).filteredOn(RoleBinding.class::isInstance).map(RoleBinding.class::cast)
                    .extracting(b -> b.getMetadata().getNamespace()).containsExactlyInAnyOrder("team-a", "team-b", NAMESPACE);
            assertThat(rendered).filteredOn(r -> r instanceof Role role && role.getMetadata().getName().endsWith("-leader-election"))
                    .singleElement().satisfies(r -> assertLeaderElectionRole((Role) r));
            assertThat(env(only(rendered, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0),
                    "QUARKUS_OPERATOR_SDK_NAMESPACES")).isEqualTo("team-a,team-b");
        }
    }

    @Nested
    class WithMetricsAndTwoReplicas {

        private final List<HasMetadata> rendered = template("--set",
                "metrics.service.enabled=true,metrics.serviceMonitor.enabled=true,metrics.serviceMonitor.labels.release=prom,replicaCount=2");

        @Test
        void aMetricsServiceItsServiceMonitorAndABudget() {
            Service service = only(rendered, Service.class);
            assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> assertThat(p.getName()).isEqualTo("http-metrics"));
            GenericKubernetesResource monitor = only(rendered, GenericKubernetesResource.class);
            assertThat(monitor.getKind()).isEqualTo("ServiceMonitor");
            assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prom");
            assertThat(monitor.toString()).contains("/q/metrics", "http-metrics");
            assertThat(only(rendered, PodDisruptionBudget.class).getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
            assertThat(only(rendered, Deployment.class).getSpec().getReplicas()).isEqualTo(2);
        }

        @Test
        void aServiceMonitorWithoutItsServiceIsRefusedWithTheFix() {
            Helm.Result result = RealNode.helm().run("template", RELEASE, RealNode.helm().chart().toString(), "--set", "metrics.serviceMonitor.enabled=true");
            assertThat(result.exitCode()).isNotZero();
            assertThat(result.output()).contains("metrics.serviceMonitor.enabled needs metrics.service.enabled=true");
        }
    }

    @Nested
    class WithTheDashboard {

        private final List<HasMetadata> rendered = template("--set",
                "dashboard.enabled=true,dashboard.database.secretName=queue-db,dashboard.auth.tokenSecretName=dash,metrics.service.enabled=true,replicaCount=2");

        @Test
        void aDashboardFromItsImageReadingTheDatabaseSecretWithTheTokenFromItsSecret() {
            Deployment dashboard = deployment(RELEASE + "-dashboard");
            assertThat(dashboard.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).as("it needs no Kubernetes API").isFalse();
            Container container = dashboard.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(container.getImage()).isEqualTo("stevedore/dashboard:" + chartAppVersion());
            assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
            assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(container.getEnv()).filteredOn(e -> e.getValueFrom() != null)
                    .extracting(EnvVar::getName, e -> e.getValueFrom().getSecretKeyRef().getName(), e -> e.getValueFrom().getSecretKeyRef().getKey())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("STEVEDORE_DB_URL", "queue-db", "jdbc-uri"),
                            org.assertj.core.groups.Tuple.tuple("STEVEDORE_DB_USER", "queue-db", "username"),
                            org.assertj.core.groups.Tuple.tuple("STEVEDORE_DB_PASSWORD", "queue-db", "password"),
                            org.assertj.core.groups.Tuple.tuple("STEVEDORE_DASHBOARD_TOKEN", "dash", "token"));
            assertThat(env(container, "STEVEDORE_SCHEMA")).isEqualTo("stevedore");
        }

        @Test
        void itsServiceSelectsItsPodsOnlyAndTheOperatorsObjectsDoNotSelectThem() {
            java.util.Map<String, String> dashboardPods = deployment(RELEASE + "-dashboard").getSpec().getTemplate().getMetadata().getLabels();
            java.util.Map<String, String> operatorPods = deployment(RELEASE).getSpec().getTemplate().getMetadata().getLabels();
            Service service = rendered.stream().filter(Service.class::isInstance).map(Service.class::cast)
                    .filter(s -> s.getMetadata().getName().equals(RELEASE + "-dashboard")).findFirst().orElseThrow();
            assertThat(dashboardPods).containsAllEntriesOf(service.getSpec().getSelector());
            assertThat(operatorPods).doesNotContainEntry("app.kubernetes.io/name", service.getSpec().getSelector().get("app.kubernetes.io/name"));
            Service metrics = rendered.stream().filter(Service.class::isInstance).map(Service.class::cast)
                    .filter(s -> s.getMetadata().getName().equals(RELEASE + "-metrics")).findFirst().orElseThrow();
            assertThat(metrics.getSpec().getSelector().entrySet()).as("the operator's metrics Service").isNotEmpty()
                    .anySatisfy(e -> assertThat(dashboardPods).doesNotContainEntry(e.getKey(), e.getValue()));
            PodDisruptionBudget budget = only(rendered, PodDisruptionBudget.class);
            assertThat(budget.getSpec().getSelector().getMatchLabels().entrySet())
                    .anySatisfy(e -> assertThat(dashboardPods).doesNotContainEntry(e.getKey(), e.getValue()));
        }

        @Test
        void withoutTheDatabaseSecretItIsRefusedNamingTheValue() {
            Helm.Result result = RealNode.helm().run("template", RELEASE, RealNode.helm().chart().toString(), "--set", "dashboard.enabled=true");
            assertThat(result.exitCode()).as(result.output()).isNotZero();
            assertThat(result.output()).contains("/dashboard/database").contains("secretName");
        }

        @Test
        void withoutATokenItIsReadOnly() {
            Deployment dashboard = deployment(template("--set", "dashboard.enabled=true,dashboard.database.secretName=queue-db"), RELEASE + "-dashboard");
            assertThat(dashboard.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName)
                    .doesNotContain("STEVEDORE_DASHBOARD_TOKEN");
        }

        private Deployment deployment(String name) {
            return deployment(rendered, name);
        }

        private Deployment deployment(List<HasMetadata> objects, String name) {
            return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).filter(d -> d.getMetadata().getName().equals(name))
                    .findFirst().orElseThrow(() -> new AssertionError("no Deployment " + name));
        }
    }

    @Nested
    class Monitoring {

        @Test
        void thePrometheusRuleHoldsTheAlertsOfDeployMonitoring() throws Exception {
            JsonNode rule = showOnly("templates/prometheusrule.yaml", "metrics.prometheusRule.enabled=true,metrics.prometheusRule.labels.release=prom");
            assertThat(rule.get("kind").asText()).isEqualTo("PrometheusRule");
            assertThat(rule.get("metadata").get("labels").get("release").asText()).isEqualTo("prom");
            JsonNode alerts = MonitoringAssets.read(new ObjectMapper(new YAMLFactory()), MonitoringAssets.ALERTS);
            assertThat(rule.get("spec").get("groups")).as("the chart's alerts are deploy/monitoring/alerts.yaml with the default thresholds")
                    .isEqualTo(alerts.get("groups"));
        }

        @Test
        void theThresholdsAreValues() throws Exception {
            JsonNode rule = showOnly("templates/prometheusrule.yaml",
                    "metrics.prometheusRule.enabled=true,metrics.prometheusRule.queueAgeSeconds=600,metrics.prometheusRule.pickupLatencySeconds=10");
            String expressions = rule.get("spec").findValues("expr").toString();
            assertThat(expressions).contains("> 600", "> 10").doesNotContain("> 300", "> 30)", "> 30\"");
        }

        @Test
        void aPodMonitorForTheWorkersOfTheWatchedNamespaces() throws Exception {
            JsonNode all = showOnly("templates/podmonitor.yaml", "metrics.podMonitor.enabled=true");
            assertThat(all.get("spec").get("selector").get("matchLabels").get("app.kubernetes.io/name").asText()).isEqualTo("stevedore-worker");
            assertThat(all.get("spec").get("namespaceSelector").get("any").asBoolean()).isTrue();
            assertThat(all.get("spec").get("podMetricsEndpoints").get(0).get("path").asText()).isEqualTo("/q/metrics");
            JsonNode some = showOnly("templates/podmonitor.yaml", "metrics.podMonitor.enabled=true,watchNamespaces={team-a,team-b}");
            assertThat(some.get("spec").get("namespaceSelector").get("matchNames").toString()).isEqualTo("[\"team-a\",\"team-b\"]");
        }

        private JsonNode showOnly(String template, String values) throws Exception {
            String yaml = RealNode.helm().run("template", RELEASE, RealNode.helm().chart().toString(), "--namespace", NAMESPACE, "--show-only", template, "--set", values)
                    .requireSuccess("helm template").output();
            return new ObjectMapper(new YAMLFactory()).readTree(yaml);
        }
    }

    @Nested
    class TheSchemaRefuses {

        @Test
        void aWrongTypeNamingTheField() {
            assertRefused("replicaCount=two", "/replicaCount", "want integer");
        }

        @Test
        void anUnknownFieldNamingIt() {
            assertRefused("replicas=2", "additional properties 'replicas' not allowed");
        }

        @Test
        void aNamespaceThatIsNoName() {
            assertRefused("watchNamespaces={Team_A}", "/watchNamespaces/0", "does not match pattern");
        }

        @Test
        void aLogLevelItDoesNotKnow() {
            assertRefused("logLevel=LOUD", "/logLevel", "INFO");
        }

        @Test
        void aBadResourceQuantity() {
            assertRefused("resources.limits.memory=lots", "/resources/limits/memory");
        }

        private void assertRefused(String set, String... messageParts) {
            Helm.Result result = RealNode.helm().run("template", RELEASE, RealNode.helm().chart().toString(), "--set", set);
            assertThat(result.exitCode()).as(result.output()).isNotZero();
            assertThat(result.output()).contains("values don't meet the specifications of the schema").contains(messageParts);
        }
    }

    // --- helpers --------------------------------------------------------------------------------

    static List<HasMetadata> template(String... values) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, RealNode.helm().chart().toString(), "--namespace", NAMESPACE));
        args.addAll(List.of(values));
        return parse(RealNode.helm().run(args.toArray(String[]::new)).requireSuccess("helm template").output());
    }

    static List<HasMetadata> parse(String yaml) {
        InputStream in = new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8));
        Object parsed = Serialization.unmarshal(in);
        if (parsed instanceof KubernetesList list) {
            return list.getItems();
        }
        if (parsed instanceof List<?> list) {
            return list.stream().filter(HasMetadata.class::isInstance).map(HasMetadata.class::cast).toList();
        }
        return List.of((HasMetadata) parsed);
    }

    static <T> T only(List<HasMetadata> rendered, Class<T> type) {
        List<T> found = rendered.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("exactly one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    /** Each rule as "group/resource/verb" strings, so differently grouped rules compare by what they grant. */
    static Set<String> triples(List<PolicyRule> rules) {
        Set<String> triples = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        triples.add(group + "/" + resource + "/" + verb);
                    }
                }
            }
        }
        return triples;
    }

    /** The ClusterRole rules the operator's build generates from its controllers (operator/target/kubernetes). */
    static List<PolicyRule> generatedClusterRules() throws Exception {
        Path generated = RealNode.projectDir().resolve("operator/target/kubernetes/kubernetes.yml");
        List<HasMetadata> items = parse(Files.readString(generated));
        return items.stream().filter(ClusterRole.class::isInstance).flatMap(r -> ((ClusterRole) r).getRules().stream()).toList();
    }

    private static void assertLeaderElectionRole(Role role) {
        assertThat(role.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(triples(role.getRules())).containsExactlyInAnyOrder("coordination.k8s.io/leases/get",
                "coordination.k8s.io/leases/create", "coordination.k8s.io/leases/update", "coordination.k8s.io/leases/patch");
        assertThat(role.getRules()).filteredOn(r -> !r.getVerbs().equals(List.of("create")))
                .as("reading and renewing only the operator's own Lease").allSatisfy(r ->
                        assertThat(r.getResourceNames()).containsExactly("stevedore-operator-leader"));
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElseThrow();
    }

    private static String chartAppVersion() {
        try {
            return Files.readAllLines(RealNode.helm().chart().resolve("Chart.yaml")).stream().filter(l -> l.startsWith("appVersion:"))
                    .map(l -> l.substring("appVersion:".length()).strip().replace("\"", "")).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
