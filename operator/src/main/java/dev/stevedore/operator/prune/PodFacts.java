package dev.stevedore.operator.prune;

import java.time.Instant;

/**
 * What the operator knows about the Pod a worker process ran in, from its Pod informer: the current
 * object, or the last state seen before it was deleted.
 *
 * @param presence            whether the Pod still exists, and if not, whether the kubelet confirmed its containers stopped
 * @param phase               Pending, Running, Succeeded, Failed or Unknown
 * @param reason              the Pod's status reason, e.g. Evicted
 * @param nodeName            the node it was bound to
 * @param nodeReady           the node's Ready condition: true, false, or null when unknown
 * @param restartCount        restarts of the worker container
 * @param containerStartedAt  when the current worker container started running (null if not running)
 * @param lastTermination     how the previous worker container ended, if it restarted
 */
public record PodFacts(Presence presence, String name, String uid, String phase, String reason, String nodeName, Boolean nodeReady,
                       int restartCount, Instant containerStartedAt, Termination lastTermination) {

    public enum Presence {
        /** The Pod exists in the API. */
        EXISTS,
        /** The Pod is gone, and its last state showed every container terminated: the kubelet stopped it. */
        DELETED_AFTER_STOP,
        /**
         * The Pod is gone, but its last state showed a container still running: force-deleted, or its node
         * vanished. The process may still run somewhere (a partitioned node).
         */
        DELETED_UNCONFIRMED
    }

    /** A container's end as the kubelet reported it: reason (OOMKilled, Error...), exit code, when. */
    public record Termination(String reason, Integer exitCode, Instant finishedAt) {

        /** Exit codes above 128 mean death by signal 128 - code (137 = SIGKILL). */
        public String signal() {
            if (exitCode == null || exitCode <= 128 || exitCode > 128 + 64) {
                return null;
            }
            return switch (exitCode - 128) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 3 -> "SIGQUIT";
                case 4 -> "SIGILL";
                case 6 -> "SIGABRT";
                case 7 -> "SIGBUS";
                case 8 -> "SIGFPE";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 13 -> "SIGPIPE";
                case 15 -> "SIGTERM";
                default -> "signal " + (exitCode - 128);
            };
        }
    }

    public boolean failedOrEvicted() {
        return "Failed".equals(phase) || "Evicted".equals(reason);
    }
}
