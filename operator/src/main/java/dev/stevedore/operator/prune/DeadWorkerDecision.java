package dev.stevedore.operator.prune;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When a worker process counts as dead: the product's central decision, in one place. Facts about the
 * Pod (from the informer) and about the process row (from the database) go in; a {@link Verdict} comes
 * out. The SQL that carries out a prune is {@code dev.stevedore.queue.Pruner}.
 *
 * <p>The rules, in order:
 * <ol>
 *   <li>A Pod deleted after the kubelet stopped its containers leaves no live process: prune
 *       ({@code PodDeleted}, or the container's own cause when it names one, such as OOMKilled).</li>
 *   <li>A Pod that failed or was evicted has no running worker: prune (reason {@code Evicted} or
 *       {@code PodFailed}).</li>
 *   <li>A worker container that ended (and maybe restarted) proves dead every process registered before
 *       it ended, or before the current container started: prune with the container's cause (OOMKilled,
 *       Error, exit code, signal).</li>
 *   <li>Otherwise the heartbeat settles it, but only on a settled view of the database (see
 *       {@link DatabaseHealth}): after an outage, or while the database is slow, every heartbeat is stale
 *       and proves nothing, so the verdict waits. On a settled view a stale heartbeat means dead:
 *       {@code NodeLost} when the node is not Ready, {@code PodDeleted} for a force-deleted Pod, else
 *       {@code HeartbeatExpired}; the prune re-checks staleness on the locked row.</li>
 *   <li>A fresh heartbeat with a doubtful Pod (force-deleted, node NotReady or unknown) means wait until
 *       the heartbeat would be stale: the process may still run on a partitioned node and must not
 *       lose its jobs while it is alive. A fresh heartbeat and a healthy Pod (or none known) is alive.</li>
 * </ol>
 */
public final class DeadWorkerDecision {

    /** Clock difference tolerated between the database and the node's kubelet. */
    static final Duration CLOCK_SKEW = Duration.ofSeconds(1);

    private DeadWorkerDecision() {}

    /**
     * @param databaseSettled whether the database has answered the operator normally for the process's whole
     *                        alive threshold ({@link DatabaseHealth#settledFor})
     */
    public static Verdict decide(ProcessFacts process, Optional<PodFacts> podFacts, Instant dbNow, boolean databaseSettled) {
        if (podFacts.isPresent()) {
            PodFacts pod = podFacts.get();
            PodFacts.Termination t = pod.lastTermination();
            if (pod.presence() == PodFacts.Presence.DELETED_AFTER_STOP) {
                return prune(specific(t) ? t.reason() : "PodDeleted", t, "pod " + pod.name()
                        + " was deleted and its containers stopped, but process " + process.processId() + " never deregistered");
            }
            if (pod.failedOrEvicted()) {
                String reason = "Evicted".equals(pod.reason()) ? "Evicted" : "PodFailed";
                return prune(reason, t, "pod " + pod.name() + " " + (reason.equals("Evicted") ? "was evicted" : "failed"));
            }
            // A worker container runs one process. If it ended (and maybe restarted), every process that
            // registered before that end is dead.
            Instant boundary = t == null ? null : pod.containerStartedAt() != null ? pod.containerStartedAt() : t.finishedAt();
            if (boundary != null && process.startedAt().isBefore(boundary.minus(CLOCK_SKEW))) {
                return prune(t.reason() == null || t.reason().isBlank() ? "ContainerRestarted" : t.reason(), t,
                        "the worker container of pod " + pod.name() + " ended" + (pod.restartCount() > 0 ? " and restarted (restart "
                                + pod.restartCount() + ")" : "") + "; process " + process.processId() + " ran in it");
            }
        }
        if (process.heartbeatStale(dbNow)) {
            if (!databaseSettled) {
                return new Verdict.Wait(dbNow.plus(process.aliveThreshold().dividedBy(3)), "no heartbeat since " + process.lastHeartbeatAt()
                        + ", but the database has not answered normally for a whole alive threshold; the heartbeat proves nothing yet");
            }
            Optional<PodFacts> pod = podFacts;
            String reason = pod.map(p -> p.presence() == PodFacts.Presence.DELETED_UNCONFIRMED ? "PodDeleted"
                    : Boolean.TRUE.equals(p.nodeReady()) ? "HeartbeatExpired" : "NodeLost").orElse("HeartbeatExpired");
            return new Verdict.Prune(reason, null, null, "no heartbeat since " + process.lastHeartbeatAt() + " (alive threshold "
                    + process.aliveThreshold().toMillis() + " ms)" + pod.map(p -> "; pod " + p.name() + describe(p)).orElse(""), true);
        }
        if (podFacts.isPresent()) {
            PodFacts pod = podFacts.get();
            if (pod.presence() == PodFacts.Presence.DELETED_UNCONFIRMED) {
                return new Verdict.Wait(process.staleAt(), "pod " + pod.name()
                        + " was deleted without the kubelet confirming its containers stopped; the heartbeat decides");
            }
            if (!Boolean.TRUE.equals(pod.nodeReady()) && pod.nodeName() != null) {
                return new Verdict.Wait(process.staleAt(), "node " + pod.nodeName() + " is "
                        + (pod.nodeReady() == null ? "unknown" : "not Ready") + "; the heartbeat decides");
            }
        }
        return new Verdict.Alive(process.staleAt());
    }

    private static Verdict prune(String reason, PodFacts.Termination t, String message) {
        return new Verdict.Prune(reason, t == null ? null : t.exitCode(), t == null ? null : t.signal(),
                message + (t != null && t.exitCode() != null ? " (exit code " + t.exitCode() + ")" : ""), false);
    }

    /** A cause worth recording instead of the generic PodDeleted: not Error or Completed. */
    private static boolean specific(PodFacts.Termination t) {
        return t != null && t.reason() != null && !t.reason().isBlank() && !"Error".equals(t.reason()) && !"Completed".equals(t.reason());
    }

    private static String describe(PodFacts p) {
        return switch (p.presence()) {
            case DELETED_UNCONFIRMED -> " was force-deleted";
            case DELETED_AFTER_STOP -> " was deleted";
            case EXISTS -> Boolean.TRUE.equals(p.nodeReady()) ? " looks Running" : " is on node " + p.nodeName() + ", which is not Ready";
        };
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
