package dev.stevedore.operator.prune;

import dev.stevedore.operator.pool.WorkerDeployment;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Turns a Pod object (current, or last seen before deletion) into the facts DeadWorkerDecision needs. */
public final class PodFactsReader {

    private PodFactsReader() {}

    public static PodFacts existing(Pod pod, Boolean nodeReady) {
        return read(pod, PodFacts.Presence.EXISTS, nodeReady);
    }

    public static PodFacts deleted(Pod lastState) {
        List<ContainerStatus> statuses = statuses(lastState);
        String phase = lastState.getStatus() == null ? null : lastState.getStatus().getPhase();
        boolean stopped = "Succeeded".equals(phase) || "Failed".equals(phase)
                || (!statuses.isEmpty() && statuses.stream().allMatch(s -> s.getState() != null && s.getState().getTerminated() != null));
        return read(lastState, stopped ? PodFacts.Presence.DELETED_AFTER_STOP : PodFacts.Presence.DELETED_UNCONFIRMED, null);
    }

    private static PodFacts read(Pod pod, PodFacts.Presence presence, Boolean nodeReady) {
        Optional<ContainerStatus> worker = statuses(pod).stream()
                .filter(s -> WorkerDeployment.CONTAINER.equals(s.getName())).findFirst()
                .or(() -> statuses(pod).stream().findFirst());
        int restarts = worker.map(ContainerStatus::getRestartCount).map(Integer::intValue).orElse(0);
        Instant startedAt = worker.map(ContainerStatus::getState).map(s -> s.getRunning()).map(r -> instant(r.getStartedAt())).orElse(null);
        // The current state when the container has ended; otherwise how the previous one ended.
        ContainerStateTerminated ended = worker.map(ContainerStatus::getState).map(s -> s.getTerminated())
                .or(() -> worker.map(ContainerStatus::getLastState).map(s -> s.getTerminated())).orElse(null);
        PodFacts.Termination termination = ended == null ? null
                : new PodFacts.Termination(ended.getReason(), ended.getExitCode(), instant(ended.getFinishedAt()));
        var status = pod.getStatus();
        return new PodFacts(presence, pod.getMetadata().getName(), pod.getMetadata().getUid(), status == null ? null : status.getPhase(),
                status == null ? null : status.getReason(), pod.getSpec() == null ? null : pod.getSpec().getNodeName(), nodeReady, restarts,
                startedAt, termination);
    }

    private static List<ContainerStatus> statuses(Pod pod) {
        return pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? List.of() : pod.getStatus().getContainerStatuses();
    }

    private static Instant instant(String text) {
        return text == null || text.isBlank() ? null : Instant.parse(text);
    }
}
