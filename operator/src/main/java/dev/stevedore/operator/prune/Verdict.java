package dev.stevedore.operator.prune;

import java.time.Instant;

/** What to do about one worker process. */
public sealed interface Verdict {

    /**
     * The process is dead: prune it now, recording this cause. {@code heartbeatOnly}: only the heartbeat says
     * so, and the prune must re-check it on the locked row.
     */
    record Prune(String reason, Integer exitCode, String signal, String message, boolean heartbeatOnly) implements Verdict {}

    /** Not provably dead yet; look again at {@code recheckAt} (when its heartbeat would turn stale). */
    record Wait(Instant recheckAt, String why) implements Verdict {}

    /** Alive as far as anything shows; the heartbeat is checked again at {@code recheckAt}. */
    record Alive(Instant recheckAt) implements Verdict {}
}
