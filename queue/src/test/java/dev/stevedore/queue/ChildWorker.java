package dev.stevedore.queue;

import java.time.Duration;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A worker in a JVM of its own, for tests that kill it with real signals. Configured by environment;
 * prints "READY <process id>" once registered. Handlers:
 * sleep (blocks until killed), crash (halts the JVM with exit code 137, like an OOM kill),
 * steps (ten checkpointed steps; with PAUSE_AFTER=n it blocks after saving step n), ok (returns).
 */
public final class ChildWorker {

    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(System.getenv("CHILD_DB_URL"));
        ds.setUser(System.getenv("CHILD_DB_USER"));
        ds.setPassword(System.getenv("CHILD_DB_PASSWORD"));
        int pauseAfter = Integer.parseInt(System.getenv().getOrDefault("PAUSE_AFTER", "0"));
        HandlerRegistry handlers = HandlerRegistry.builder()
                .register("sleep", job -> Thread.sleep(Long.MAX_VALUE))
                .register("crash", job -> Runtime.getRuntime().halt(137))
                .register("ok", job -> {})
                .register("steps", job -> {
                    int from = job.checkpoint().map(ChildWorker::step).orElse(0) + 1;
                    for (int step = from; step <= 10; step++) {
                        job.saveCheckpoint("{\"step\": " + step + "}");
                        if (step == pauseAfter) {
                            Thread.sleep(Long.MAX_VALUE);
                        }
                    }
                })
                .build();
        WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local(System.getenv("CHILD_POOL")))
                .queues(List.of(System.getenv("CHILD_QUEUES").split(",")))
                .threads(2)
                .heartbeatInterval(Duration.ofMillis(200))
                .aliveThreshold(Duration.ofSeconds(1))
                .pollInterval(Duration.ofMillis(200))
                .prunedJobPolicy(new PrunedJobPolicy(Integer.parseInt(System.getenv().getOrDefault("PRUNED_RETRY_LIMIT", "0")), Duration.ZERO))
                .build();
        Worker worker = Worker.start(ds, QueueSchema.DEFAULT, config, handlers, QueueListener.NONE);
        Runtime.getRuntime().addShutdownHook(new Thread(worker::stop));
        System.out.println("READY " + worker.processId());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Reads n from {"step": n}. */
    static int step(String checkpoint) {
        return Integer.parseInt(checkpoint.replaceAll("[^0-9]", ""));
    }
}
