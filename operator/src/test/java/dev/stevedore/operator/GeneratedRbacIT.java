package dev.stevedore.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The RBAC the build generates (target/kubernetes/kubernetes.yml) grants no more than the README says. */
class GeneratedRbacIT {

    @Test
    void leasesAreGrantedOnlyByARoleInTheOperatorsNamespace() throws Exception {
        List<HasMetadata> items = PackagedOperator.generated();
        List<PolicyRule> clusterRules = items.stream().filter(ClusterRole.class::isInstance)
                .flatMap(r -> ((ClusterRole) r).getRules().stream()).toList();
        assertThat(clusterRules).as("no cluster-wide rule over Leases").noneMatch(r -> r.getResources().contains("leases"));
        assertThat(clusterRules).as("no cluster-wide write to Secrets").noneMatch(r -> r.getResources().contains("secrets")
                && r.getVerbs().stream().anyMatch(v -> !v.equals("get")));

        Role leader = items.stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> r.getMetadata().getName().equals("stevedore-operator-leader-election")).findFirst().orElseThrow();
        assertThat(leader.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(rule.getResources()).containsExactly("leases");
            assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "create", "update", "patch");
        });
        RoleBinding binding = items.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast)
                .filter(b -> b.getRoleRef().getName().equals("stevedore-operator-leader-election")).findFirst().orElseThrow();
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getKind()).isEqualTo("ServiceAccount"));
    }
}
