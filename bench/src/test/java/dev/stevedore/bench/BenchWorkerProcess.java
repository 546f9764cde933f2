package dev.stevedore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.ProcessIdentity;
import dev.stevedore.queue.QueueListener;
import dev.stevedore.queue.QueueSchema;
import dev.stevedore.queue.Worker;
import dev.stevedore.queue.WorkerConfig;
import java.time.Duration;
import java.util.List;

/**
 * A Stevedore worker in a JVM of its own, for the measurements that need separate processes: several workers on
 * one database, and a worker killed with SIGKILL. Arguments: JDBC URL, user, pool, queues (comma-separated),
 * threads, heartbeat interval ms, alive threshold ms. Prints "READY &lt;process id&gt;" once registered, and stops
 * when its standard input ends. Handlers: noop, and hold (blocks until the process dies).
 */
public final class BenchWorkerProcess {

    public static void main(String[] args) throws Exception {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(args[0]);
        pool.setUsername(args[1]);
        pool.setMaximumPoolSize(8);
        HikariDataSource ds = new HikariDataSource(pool);
        HandlerRegistry handlers = HandlerRegistry.builder()
                .register("noop", job -> {})
                .register("hold", job -> Thread.sleep(Long.MAX_VALUE))
                .build();
        WorkerConfig config = WorkerConfig.builder(ProcessIdentity.local(args[2]))
                .queues(List.of(args[3].split(",")))
                .threads(Integer.parseInt(args[4]))
                .heartbeatInterval(Duration.ofMillis(Long.parseLong(args[5])))
                .aliveThreshold(Duration.ofMillis(Long.parseLong(args[6])))
                .build();
        Worker worker = Worker.start(ds, QueueSchema.DEFAULT, config, handlers, QueueListener.NONE);
        Runtime.getRuntime().addShutdownHook(new Thread(worker::stop));
        System.out.println("READY " + worker.processId());
        System.out.flush();
        // Lives as long as the benchmark: its standard input ends when the parent JVM does, however that ends.
        while (System.in.read() != -1) {
            // nothing is sent
        }
        System.exit(0);
    }

    private BenchWorkerProcess() {}
}
