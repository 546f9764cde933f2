package dev.stevedore.operator.prune;

import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.Pruner;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueSchema;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * One round of dead-worker detection for a pool: reads its process rows, matches each to its Pod (alive or
 * remembered after deletion), asks {@link DeadWorkerDecision}, and has the queue's {@link Pruner} carry out
 * the prunes. Says when to look again.
 */
public final class PoolPruning {

    /** What a round found and did. {@code recheckAt} is when the next heartbeat verdict is due. */
    public record Round(List<Pruned> pruned, int aliveProcesses, Instant recheckAt, List<String> referencedPodUids) {}

    /** A process that was pruned, its evidence and its jobs. */
    public record Pruned(Pruner.PrunedProcess process, Verdict.Prune verdict, Instant evidenceAt) {}

    private PoolPruning() {}

    public static Round run(String pool, DataSource dataSource, DatabaseHealth health, QueueSchema schema, List<Pod> pods,
                            Map<String, PodTracker.DeletedPod> deletedPods, Function<String, Boolean> nodeReady) {
        long started = System.nanoTime();
        List<ProcessView> processes;
        try {
            processes = new QueueAdmin(dataSource, schema).processes(pool);
        } catch (RuntimeException e) {
            health.failed(Instant.now());
            throw e;
        }
        Instant readAt = Instant.now();
        health.answered(readAt, Duration.ofNanos(System.nanoTime() - started));
        List<Pruner.Request> requests = new ArrayList<>();
        List<Verdict.Prune> verdicts = new ArrayList<>();
        List<Instant> evidence = new ArrayList<>();
        List<String> referenced = new ArrayList<>();
        Instant recheck = null;
        int alive = 0;
        for (ProcessView p : processes) {
            Optional<PodFacts> facts = Optional.empty();
            Instant evidenceAt = p.observedAt();
            Optional<Pod> pod = pods.stream().filter(candidate -> matches(candidate, p)).findFirst();
            if (pod.isPresent()) {
                String node = pod.get().getSpec() == null ? null : pod.get().getSpec().getNodeName();
                facts = Optional.of(PodFactsReader.existing(pod.get(), node == null ? null : nodeReady.apply(node)));
            } else if (p.podUid() != null && deletedPods.containsKey(p.podUid())) {
                PodTracker.DeletedPod gone = deletedPods.get(p.podUid());
                facts = Optional.of(PodFactsReader.deleted(gone.lastState()));
                evidenceAt = gone.deletedAt();
            }
            if (p.podUid() != null) {
                referenced.add(p.podUid());
            }
            ProcessFacts processFacts = new ProcessFacts(p.id(), p.pod(), p.podUid(), p.startedAt(), p.lastHeartbeatAt(), p.aliveThreshold());
            Verdict verdict = DeadWorkerDecision.decide(processFacts, facts, p.observedAt(), health.settledFor(p.aliveThreshold(), readAt));
            if (verdict instanceof Verdict.Prune prune) {
                String podName = facts.map(PodFacts::name).orElse(p.pod());
                String nodeName = facts.map(PodFacts::nodeName).orElse(p.node());
                requests.add(new Pruner.Request(p.id(), new Pruner.Cause(prune.reason(), prune.message(), podName, nodeName,
                        prune.exitCode(), prune.signal()), prune.heartbeatOnly()));
                verdicts.add(prune);
                // Latency is measured from the first evidence: the container's end if known, else the deletion or the read.
                Instant finished = facts.map(PodFacts::lastTermination).map(PodFacts.Termination::finishedAt).orElse(null);
                evidence.add(finished != null && finished.isBefore(evidenceAt) ? finished : evidenceAt);
            } else if (verdict instanceof Verdict.Wait wait) {
                recheck = earliest(recheck, wait.recheckAt());
            } else if (verdict instanceof Verdict.Alive a) {
                alive++;
                recheck = earliest(recheck, a.recheckAt());
            }
        }
        List<Pruned> pruned = new ArrayList<>();
        if (!requests.isEmpty()) {
            List<Pruner.PrunedProcess> done = new Pruner(dataSource, schema).prune(requests);
            for (Pruner.PrunedProcess d : done) {
                int i = indexOf(requests, d.processId());
                pruned.add(new Pruned(d, verdicts.get(i), evidence.get(i)));
            }
        }
        return new Round(pruned, alive, recheck, referenced);
    }

    private static boolean matches(Pod pod, ProcessView process) {
        if (process.podUid() != null) {
            return process.podUid().equals(pod.getMetadata().getUid());
        }
        return process.pod() != null && process.pod().equals(pod.getMetadata().getName());
    }

    private static int indexOf(List<Pruner.Request> requests, long processId) {
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).processId() == processId) {
                return i;
            }
        }
        throw new IllegalStateException("pruned process " + processId + " was not requested");
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }
}
