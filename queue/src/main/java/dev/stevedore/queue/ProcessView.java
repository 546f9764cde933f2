package dev.stevedore.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A registered worker process. {@code alive} is judged by the database clock against the process's own
 * {@code aliveThreshold}; {@code observedAt} is the database's time when the row was read.
 */
public record ProcessView(long id, String pool, String pod, String podUid, String node, String host, long pid, List<String> queues,
                          int threads, Instant startedAt, Instant lastHeartbeatAt, boolean alive, Duration aliveThreshold, Instant observedAt) {}
