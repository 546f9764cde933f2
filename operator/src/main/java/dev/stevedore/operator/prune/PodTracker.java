package dev.stevedore.operator.prune;

import dev.stevedore.operator.model.JobWorkerPool;
import dev.stevedore.operator.pool.PoolLabels;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Pod informer of all pools (Pods labelled {@value PoolLabels#POOL}). JOSDK shows a reconciler only the
 * Pods that exist, so this source also keeps the last state of each deleted Pod, with the time it was seen
 * to go, until the pool's reconcile has settled its processes.
 */
public class PodTracker extends InformerEventSource<Pod, JobWorkerPool> {

    /** A deleted Pod's last state, and when the deletion was seen. */
    public record DeletedPod(Pod lastState, Instant deletedAt) {}

    private static final Duration FORGET_AFTER = Duration.ofMinutes(15);
    private final Map<ResourceID, Map<String, DeletedPod>> deleted = new ConcurrentHashMap<>();

    public PodTracker(EventSourceContext<JobWorkerPool> context) {
        super(InformerEventSourceConfiguration.from(Pod.class, JobWorkerPool.class)
                .withName("pods")
                .withLabelSelector(PoolLabels.POOL)
                .withSecondaryToPrimaryMapper(PodTracker::poolOf)
                .build(), context);
    }

    private static Set<ResourceID> poolOf(Pod pod) {
        String pool = pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(PoolLabels.POOL);
        return pool == null ? Set.of() : Set.of(new ResourceID(pool, pod.getMetadata().getNamespace()));
    }

    @Override
    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        // Recorded before the event goes out, so the reconcile it triggers sees it.
        for (ResourceID pool : poolOf(pod)) {
            deleted.computeIfAbsent(pool, k -> new ConcurrentHashMap<>()).put(pod.getMetadata().getUid(), new DeletedPod(pod, Instant.now()));
        }
        super.onDelete(pod, deletedFinalStateUnknown);
    }

    /** Deleted Pods of a pool still remembered, by uid. */
    public Map<String, DeletedPod> deletedPods(ResourceID pool) {
        Map<String, DeletedPod> pods = deleted.getOrDefault(pool, Map.of());
        Instant cutoff = Instant.now().minus(FORGET_AFTER);
        pods.values().removeIf(d -> d.deletedAt().isBefore(cutoff));
        return Map.copyOf(pods);
    }

    /** Forgets deleted Pods no process row refers to any more. */
    public void forgetExcept(ResourceID pool, List<String> podUidsStillReferenced) {
        Map<String, DeletedPod> pods = deleted.get(pool);
        if (pods != null) {
            pods.keySet().removeIf(uid -> !podUidsStillReferenced.contains(uid));
        }
    }
}
