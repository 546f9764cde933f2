package dev.stevedore.queue;

import java.time.Instant;
import java.util.List;

/** A registered worker process. {@code alive} is judged by the database clock against the process's own threshold. */
public record ProcessView(long id, String pool, String pod, String podUid, String node, String host, long pid, List<String> queues,
                          int threads, Instant startedAt, Instant lastHeartbeatAt, boolean alive) {}
