package dev.stevedore.operator.prune;

import java.time.Instant;

/** What to do about one worker process. */
public sealed interface Verdict {

    /** The process is dead: prune it now, recording this cause. */
    record Prune(String reason, Integer exitCode, String signal, String message) implements Verdict {}

    /** Not provably dead yet; look again at {@code recheckAt} (when its heartbeat would turn stale). */
    record Wait(Instant recheckAt, String why) implements Verdict {}

    /** Alive as far as anything shows; the heartbeat is checked again at {@code recheckAt}. */
    record Alive(Instant recheckAt) implements Verdict {}
}
