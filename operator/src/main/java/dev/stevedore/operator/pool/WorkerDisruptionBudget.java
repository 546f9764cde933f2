package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.JobWorkerPool;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The pool's optional PodDisruptionBudget: node drains evict at most {@code maxUnavailable} workers at once. */
@KubernetesDependent
public class WorkerDisruptionBudget extends CRUDKubernetesDependentResource<PodDisruptionBudget, JobWorkerPool> {

    public WorkerDisruptionBudget() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(JobWorkerPool pool, Context<JobWorkerPool> context) {
        // Also called to find the budget to delete once the spec no longer asks for one.
        var wanted = pool.getSpec().getPodDisruptionBudget();
        int maxUnavailable = wanted == null || wanted.getMaxUnavailable() == null ? 1 : wanted.getMaxUnavailable();
        return new PodDisruptionBudgetBuilder()
                .withNewMetadata()
                    .withName(pool.getMetadata().getName())
                    .withNamespace(pool.getMetadata().getNamespace())
                    .withLabels(PoolLabels.all(pool))
                .endMetadata()
                .withNewSpec()
                    .withMaxUnavailable(new IntOrString(maxUnavailable))
                    .withNewSelector().withMatchLabels(PoolLabels.selector(pool)).endSelector()
                .endSpec()
                .build();
    }

    /** Only while the spec asks for one; when it stops asking, the budget is deleted. */
    public static class Wanted implements Condition<PodDisruptionBudget, JobWorkerPool> {
        @Override
        public boolean isMet(DependentResource<PodDisruptionBudget, JobWorkerPool> dependent, JobWorkerPool pool, Context<JobWorkerPool> context) {
            return pool.getSpec().getPodDisruptionBudget() != null;
        }
    }
}
