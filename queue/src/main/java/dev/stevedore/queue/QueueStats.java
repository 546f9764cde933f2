package dev.stevedore.queue;

import java.util.List;
import java.util.Map;

/**
 * Counts for dashboards and the CLI: jobs per state (every state present, zero when none), and per queue
 * the available count and the age in ms of its oldest available job; alive and total processes; the paused queues
 * (with or without jobs).
 */
public record QueueStats(Map<JobState, Long> jobs, Map<String, QueueDepth> queues, long aliveProcesses, long processes,
                         List<QueuePause> pausedQueues) {

    public record QueueDepth(long available, long oldestAvailableAgeMs) {}
}
