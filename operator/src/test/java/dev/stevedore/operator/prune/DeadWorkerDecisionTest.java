package dev.stevedore.operator.prune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.operator.prune.PodFacts.Presence;
import dev.stevedore.operator.prune.PodFacts.Termination;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decision table of DeadWorkerDecision, case by case. */
class DeadWorkerDecisionTest {

    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final Duration ALIVE = Duration.ofSeconds(10);
    private static final Instant POD_STARTED = NOW.minusSeconds(600);

    /** A process that registered 5 minutes ago and heartbeated {@code secondsAgo} ago. */
    private static ProcessFacts process(long secondsAgo) {
        return new ProcessFacts(7, "worker-abc", "uid-1", NOW.minusSeconds(300), NOW.minusSeconds(secondsAgo), ALIVE);
    }

    private static final ProcessFacts FRESH = process(1);
    private static final ProcessFacts STALE = process(30);

    private static PodFacts pod(Presence presence, String phase, String reason, Boolean nodeReady, int restarts, Instant containerStarted,
                                Termination last) {
        return new PodFacts(presence, "worker-abc", "uid-1", phase, reason, "node-1", nodeReady, restarts, containerStarted, last);
    }

    private static PodFacts running() {
        return pod(Presence.EXISTS, "Running", null, true, 0, POD_STARTED, null);
    }

    private static Verdict decide(ProcessFacts process, PodFacts pod) {
        return DeadWorkerDecision.decide(process, Optional.ofNullable(pod), NOW, true);
    }

    private static Verdict.Prune pruned(Verdict v) {
        assertThat(v).isInstanceOf(Verdict.Prune.class);
        return (Verdict.Prune) v;
    }

    @Nested
    class PodFactsProveDeath {

        @Test
        void aPodDeletedAfterItsContainersStoppedWithTheRowStillThereIsPrunedAtOnceAsPodDeleted() {
            PodFacts gone = pod(Presence.DELETED_AFTER_STOP, "Running", null, true, 0, null, new Termination("Error", 137, NOW.minusSeconds(1)));
            Verdict.Prune p = pruned(decide(FRESH, gone));
            assertThat(p.reason()).isEqualTo("PodDeleted");
            assertThat(p.exitCode()).isEqualTo(137);
            assertThat(p.signal()).isEqualTo("SIGKILL");
            assertThat(p.message()).contains("worker-abc", "never deregistered", "exit code 137");
        }

        @Test
        void aDeletedPodWhoseContainerWasOomKilledRecordsOomKilled() {
            PodFacts gone = pod(Presence.DELETED_AFTER_STOP, "Running", null, true, 0, null, new Termination("OOMKilled", 137, NOW));
            assertThat(pruned(decide(FRESH, gone)).reason()).isEqualTo("OOMKilled");
        }

        @Test
        void aDeletedPodWithoutTerminationDetailsIsStillPodDeleted() {
            PodFacts gone = pod(Presence.DELETED_AFTER_STOP, "Succeeded", null, null, 0, null, null);
            Verdict.Prune p = pruned(decide(FRESH, gone));
            assertThat(p.reason()).isEqualTo("PodDeleted");
            assertThat(p.exitCode()).isNull();
        }

        @ParameterizedTest(name = "{0} exit {1} -> reason {2}, signal {3}")
        @CsvSource({"OOMKilled,137,OOMKilled,SIGKILL", "Error,1,Error,", "Error,139,Error,SIGSEGV", "Error,143,Error,SIGTERM", ",137,ContainerRestarted,SIGKILL"})
        void aRestartedContainerProvesTheEarlierProcessDeadWithItsCause(String reason, int exitCode, String expectedReason, String expectedSignal) {
            PodFacts restarted = pod(Presence.EXISTS, "Running", null, true, 1, NOW.minusSeconds(2),
                    new Termination(reason, exitCode, NOW.minusSeconds(3)));
            Verdict.Prune p = pruned(decide(FRESH, restarted));
            assertThat(p.reason()).isEqualTo(expectedReason);
            assertThat(p.exitCode()).isEqualTo(exitCode);
            assertThat(p.signal()).isEqualTo(expectedSignal);
            assertThat(p.message()).contains("restarted (restart 1)", "process 7");
        }

        @Test
        void aContainerWaitingToRestartAfterACrashProvesTheProcessDead() {
            PodFacts crashLooping = pod(Presence.EXISTS, "Running", null, true, 3, null, new Termination("Error", 1, NOW.minusSeconds(5)));
            assertThat(pruned(decide(FRESH, crashLooping)).reason()).isEqualTo("Error");
        }

        @Test
        void theProcessOfTheCurrentContainerIsNotTouchedByTheRestartRule() {
            ProcessFacts current = new ProcessFacts(8, "worker-abc", "uid-1", NOW.minusSeconds(1), NOW.minusSeconds(1), ALIVE);
            PodFacts restarted = pod(Presence.EXISTS, "Running", null, true, 1, NOW.minusSeconds(2), new Termination("OOMKilled", 137, NOW.minusSeconds(3)));
            assertThat(decide(current, restarted)).isEqualTo(new Verdict.Alive(current.staleAt()));
        }

        @Test
        void aProcessThatRegisteredWithinTheClockSkewOfTheContainerStartIsLeftToTheHeartbeat() {
            ProcessFacts borderline = new ProcessFacts(8, "worker-abc", "uid-1", NOW.minusMillis(2_500), NOW.minusSeconds(1), ALIVE);
            PodFacts restarted = pod(Presence.EXISTS, "Running", null, true, 1, NOW.minusSeconds(2), new Termination("Error", 1, NOW.minusSeconds(3)));
            assertThat(decide(borderline, restarted)).isInstanceOf(Verdict.Alive.class);
        }

        @Test
        void anEvictedPodIsPrunedAsEvicted() {
            PodFacts evicted = pod(Presence.EXISTS, "Failed", "Evicted", true, 0, null, null);
            assertThat(pruned(decide(FRESH, evicted)).reason()).isEqualTo("Evicted");
        }

        @Test
        void aFailedPodIsPrunedAsPodFailed() {
            PodFacts failed = pod(Presence.EXISTS, "Failed", null, true, 0, null, new Termination("Error", 1, NOW.minusSeconds(1)));
            Verdict.Prune p = pruned(decide(FRESH, failed));
            assertThat(p.reason()).isEqualTo("PodFailed");
            assertThat(p.exitCode()).isEqualTo(1);
        }
    }

    @Nested
    class TheHeartbeatDecidesWhenPodFactsCannotProveDeath {

        @Test
        void aForceDeletedPodWithAFreshHeartbeatIsNotPrunedButWaitedFor() {
            PodFacts forceDeleted = pod(Presence.DELETED_UNCONFIRMED, "Running", null, true, 0, POD_STARTED, null);
            Verdict v = decide(FRESH, forceDeleted);
            assertThat(v).isInstanceOf(Verdict.Wait.class);
            assertThat(((Verdict.Wait) v).recheckAt()).isEqualTo(FRESH.staleAt());
            assertThat(((Verdict.Wait) v).why()).contains("without the kubelet confirming");
        }

        @Test
        void aForceDeletedPodWithAStaleHeartbeatIsPrunedAsPodDeleted() {
            PodFacts forceDeleted = pod(Presence.DELETED_UNCONFIRMED, "Running", null, true, 0, POD_STARTED, null);
            Verdict.Prune p = pruned(decide(STALE, forceDeleted));
            assertThat(p.reason()).isEqualTo("PodDeleted");
            assertThat(p.message()).contains("no heartbeat since", "force-deleted");
        }

        @ParameterizedTest(name = "node ready = {0}")
        @CsvSource(value = {"false", "null"}, nullValues = "null")
        void aRunningPodOnANodeThatIsNotReadyWaitsForTheHeartbeat(Boolean nodeReady) {
            PodFacts onLostNode = pod(Presence.EXISTS, "Running", null, nodeReady, 0, POD_STARTED, null);
            Verdict v = decide(FRESH, onLostNode);
            assertThat(v).isInstanceOf(Verdict.Wait.class);
            assertThat(((Verdict.Wait) v).why()).contains("node node-1 is " + (nodeReady == null ? "unknown" : "not Ready"));
        }

        @Test
        void aRunningPodOnALostNodeWithAStaleHeartbeatIsPrunedAsNodeLost() {
            PodFacts onLostNode = pod(Presence.EXISTS, "Running", null, false, 0, POD_STARTED, null);
            Verdict.Prune p = pruned(decide(STALE, onLostNode));
            assertThat(p.reason()).isEqualTo("NodeLost");
            assertThat(p.message()).contains("which is not Ready");
        }

        @Test
        void aStaleHeartbeatWithoutAnyPodEventIsPrunedAsHeartbeatExpired() {
            Verdict.Prune p = pruned(decide(STALE, null));
            assertThat(p.reason()).isEqualTo("HeartbeatExpired");
            assertThat(p.message()).contains("no heartbeat since " + STALE.lastHeartbeatAt(), "alive threshold 10000 ms");
        }

        @Test
        void aStaleHeartbeatOfAPodThatLooksRunningIsPrunedAsHeartbeatExpired() {
            assertThat(pruned(decide(STALE, running())).reason()).isEqualTo("HeartbeatExpired");
        }

        @Test
        void aHeartbeatExactlyAtTheThresholdIsNotYetStale() {
            assertThat(decide(process(10), null)).isInstanceOf(Verdict.Alive.class);
            assertThat(decide(process(11), null)).isInstanceOf(Verdict.Prune.class);
        }
    }

    @Nested
    class Alive {

        @Test
        void aFreshHeartbeatAndARunningPodIsAliveAndCheckedAgainWhenItWouldTurnStale() {
            assertThat(decide(FRESH, running())).isEqualTo(new Verdict.Alive(FRESH.staleAt()));
        }

        @Test
        void aFreshHeartbeatWithoutAPodIsAlive() {
            assertThat(decide(FRESH, null)).isEqualTo(new Verdict.Alive(FRESH.staleAt()));
        }

        @Test
        void aPendingPodWithoutANodeYetIsAlive() {
            PodFacts pending = new PodFacts(Presence.EXISTS, "worker-abc", "uid-1", "Pending", null, null, null, 0, null, null);
            assertThat(decide(FRESH, pending)).isInstanceOf(Verdict.Alive.class);
        }
    }

    @Nested
    class UncertainFactsProveNothing {

        private Verdict unsettled(ProcessFacts process, PodFacts pod) {
            return DeadWorkerDecision.decide(process, Optional.ofNullable(pod), NOW, false);
        }

        @Test
        void aStaleHeartbeatOnAnUnsettledDatabaseViewWaitsWhateverThePod() {
            for (PodFacts pod : new PodFacts[] {running(), null, pod(Presence.EXISTS, "Running", null, null, 0, POD_STARTED, null),
                    pod(Presence.DELETED_UNCONFIRMED, "Running", null, true, 0, POD_STARTED, null)}) {
                Verdict v = unsettled(STALE, pod);
                assertThat(v).as("pod %s", pod).isInstanceOf(Verdict.Wait.class);
                assertThat(((Verdict.Wait) v).recheckAt()).isAfter(NOW).isBeforeOrEqualTo(NOW.plus(ALIVE.dividedBy(2)));
                assertThat(((Verdict.Wait) v).why()).contains("has not answered normally");
            }
        }

        @Test
        void podEvidenceDoesNotDependOnTheDatabaseView() {
            PodFacts gone = pod(Presence.DELETED_AFTER_STOP, "Running", null, true, 0, null, new Termination("OOMKilled", 137, NOW.minusSeconds(1)));
            Verdict.Prune p = pruned(unsettled(FRESH, gone));
            assertThat(p.reason()).isEqualTo("OOMKilled");
            assertThat(p.heartbeatOnly()).isFalse();
        }

        @Test
        void aHeartbeatVerdictOnASettledViewIsMarkedForTheLockTimeRecheck() {
            assertThat(pruned(decide(STALE, running())).heartbeatOnly()).isTrue();
        }
    }
}
