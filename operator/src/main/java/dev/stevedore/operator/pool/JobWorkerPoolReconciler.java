package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.DatabaseSpec;
import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.model.JobWorkerPoolStatus;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Reconciles a JobWorkerPool: checks what the schema cannot (durations that fit together, the database
 * Secret and its keys), applies the worker Deployment, and writes the status. An invalid pool is reported
 * in its Degraded condition and a Warning event; its existing Deployment is left as it was.
 */
@ControllerConfiguration(name = JobWorkerPoolReconciler.NAME)
@Workflow(explicitInvocation = true, dependents = @Dependent(name = "deployment", type = WorkerDeployment.class))
@RBACRule(apiGroups = "", resources = "secrets", verbs = {"get"})
@RBACRule(apiGroups = "", resources = "events", verbs = {"create", "patch"})
@RBACRule(apiGroups = "", resources = {"pods", "nodes"}, verbs = {"get", "list", "watch"})
@RBACRule(apiGroups = "coordination.k8s.io", resources = "leases", verbs = {"get", "create", "update"})
public class JobWorkerPoolReconciler implements Reconciler<JobWorkerPool> {

    public static final String NAME = "jobworkerpool";
    private static final Logger LOG = Logger.getLogger(JobWorkerPoolReconciler.class);
    private static final Duration RECHECK_INVALID = Duration.ofSeconds(30);

    @Override
    public UpdateControl<JobWorkerPool> reconcile(JobWorkerPool pool, Context<JobWorkerPool> context) {
        List<String> problems = new ArrayList<>(PoolSettings.of(pool.getSpec()).problems());
        problems.addAll(secretProblems(pool, context.getClient()));
        Optional<Deployment> deployment;
        if (problems.isEmpty()) {
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            deployment = context.getSecondaryResource(Deployment.class);
        } else {
            deployment = context.getSecondaryResource(Deployment.class);
            reportInvalid(pool, problems, context.getClient());
        }
        JobWorkerPoolStatus status = PoolStatus.build(pool, deployment, problems);
        UpdateControl<JobWorkerPool> control;
        if (sameStatus(pool.getStatus(), status)) {
            control = UpdateControl.noUpdate();
        } else {
            JobWorkerPool patch = new JobWorkerPool();
            patch.getMetadata().setName(pool.getMetadata().getName());
            patch.getMetadata().setNamespace(pool.getMetadata().getNamespace());
            patch.setStatus(status);
            control = UpdateControl.patchStatus(patch);
        }
        // A missing Secret has no event source: look again soon.
        return problems.isEmpty() ? control : control.rescheduleAfter(RECHECK_INVALID);
    }

    private static List<String> secretProblems(JobWorkerPool pool, KubernetesClient client) {
        DatabaseSpec db = pool.getSpec().getDatabase();
        String ns = pool.getMetadata().getNamespace();
        Secret secret;
        try {
            secret = client.secrets().inNamespace(ns).withName(db.getSecretName()).get();
        } catch (KubernetesClientException e) {
            return List.of("spec.database.secretName: cannot read Secret '" + db.getSecretName() + "': " + e.getMessage());
        }
        if (secret == null) {
            return List.of("spec.database.secretName: Secret '" + db.getSecretName() + "' not found in namespace " + ns
                    + "; create it with the key " + db.getUrlKey() + " (a JDBC URL), or fix the name");
        }
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        Map<String, String> stringData = secret.getStringData() == null ? Map.of() : secret.getStringData();
        if (!data.containsKey(db.getUrlKey()) && !stringData.containsKey(db.getUrlKey())) {
            return List.of("spec.database.urlKey: Secret '" + db.getSecretName() + "' has no key '" + db.getUrlKey()
                    + "' (keys: " + String.join(", ", data.keySet()) + "); set spec.database.urlKey to the key holding the JDBC URL");
        }
        return List.of();
    }

    /** A Warning event, once per distinct problem (not on every reconcile). */
    private static void reportInvalid(JobWorkerPool pool, List<String> problems, KubernetesClient client) {
        String message = String.join("; ", problems);
        boolean known = PoolStatus.find(pool.getStatus(), PoolStatus.DEGRADED)
                .map(c -> "True".equals(c.getStatus()) && message.equals(c.getMessage())).orElse(false);
        if (known) {
            return;
        }
        LOG.warnf("pool %s/%s is invalid: %s", pool.getMetadata().getNamespace(), pool.getMetadata().getName(), message);
        Events.warning(client, pool, "InvalidSpec", message);
    }

    private static boolean sameStatus(JobWorkerPoolStatus a, JobWorkerPoolStatus b) {
        if (a == null) {
            return false;
        }
        return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && Objects.equals(a.getReplicas(), b.getReplicas())
                && Objects.equals(a.getReadyReplicas(), b.getReadyReplicas())
                && Objects.equals(a.getSelector(), b.getSelector())
                && Objects.equals(a.getConditions(), b.getConditions());
    }

    /** Kubernetes Events about a pool. */
    static final class Events {
        private Events() {}

        static void warning(KubernetesClient client, JobWorkerPool pool, String reason, String message) {
            emit(client, pool, "Warning", reason, message);
        }

        static void emit(KubernetesClient client, JobWorkerPool pool, String type, String reason, String message) {
            String now = Instant.now().toString();
            try {
                client.v1().events().inNamespace(pool.getMetadata().getNamespace()).resource(new EventBuilder()
                        .withNewMetadata().withGenerateName(pool.getMetadata().getName() + "-").endMetadata()
                        .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(pool.getApiVersion()).withKind(pool.getKind())
                                .withName(pool.getMetadata().getName()).withNamespace(pool.getMetadata().getNamespace())
                                .withUid(pool.getMetadata().getUid()).build())
                        .withType(type).withReason(reason).withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                        .withNewSource().withComponent("stevedore-operator").endSource()
                        .build()).create();
            } catch (KubernetesClientException e) {
                LOG.warnf("could not record event %s for %s: %s", reason, pool.getMetadata().getName(), e.getMessage());
            }
        }
    }
}
