package dev.stevedore.operator.pool;

import dev.stevedore.operator.model.JobWorkerPool;
import java.util.LinkedHashMap;
import java.util.Map;

/** The labels that tie a pool's Deployment and Pods to it. */
public final class PoolLabels {

    public static final String POOL = "stevedore.dev/pool";
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String WORKER = "stevedore-worker";
    public static final String OPERATOR = "stevedore-operator";

    private PoolLabels() {}

    /** What the Deployment selects on; never changes for a pool. */
    public static Map<String, String> selector(JobWorkerPool pool) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, WORKER);
        labels.put(POOL, pool.getMetadata().getName());
        return labels;
    }

    public static Map<String, String> all(JobWorkerPool pool) {
        Map<String, String> labels = new LinkedHashMap<>(selector(pool));
        labels.put(INSTANCE, pool.getMetadata().getName());
        labels.put(MANAGED_BY, OPERATOR);
        return labels;
    }

    /** The label selector string, as the scale subresource reports it. */
    public static String selectorString(JobWorkerPool pool) {
        return NAME + "=" + WORKER + "," + POOL + "=" + pool.getMetadata().getName();
    }
}
