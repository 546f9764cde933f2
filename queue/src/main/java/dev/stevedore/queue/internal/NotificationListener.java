package dev.stevedore.queue.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one connection that LISTENs on the queue's channel and wakes the producer when a queue it serves
 * gets jobs. Reconnects after errors, and wakes the producer after every (re)connect, since notifications
 * sent while it was away are lost. Polling remains the fallback.
 */
public final class NotificationListener {

    /** The payload of a cancel of running jobs (QueueAdmin's): no queue name can hold '!'. */
    public static final String CANCEL = "!cancel";
    /**
     * Before a queue's name: jobs with a concurrency key became available, or a running one ended and freed its slot;
     * they are claimed by a statement of their own. No queue name can hold '~'.
     */
    public static final String LIMITED = "~";

    private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);

    private final DataSource dataSource;
    private final String channel;
    private final Predicate<String> interested;
    private final Runnable wake;
    private final Runnable cancelRequested;
    private final Runnable limitedJobs;
    private final String logContext;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * {@code cancelRequested} hears that a cancel of running jobs was asked for ({@link #CANCEL}), {@code limitedJobs} that jobs
     * with a concurrency key may be claimable in a queue of interest ({@link #LIMITED}); neither may block.
     */
    public NotificationListener(DataSource dataSource, String channel, Predicate<String> interested, Runnable wake, Runnable cancelRequested,
                                Runnable limitedJobs, String logContext) {
        this.dataSource = dataSource;
        this.channel = channel;
        this.interested = interested;
        this.wake = wake;
        this.cancelRequested = cancelRequested;
        this.limitedJobs = limitedJobs;
        this.logContext = logContext;
        this.thread = new Thread(this::run, "stevedore-listener");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Stops listening; waits at most {@code timeoutMs} for the thread (it is a daemon, and holds no job). */
    public void close(long timeoutMs) throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(Math.max(1, timeoutMs));
    }

    private void run() {
        Backoff backoff = new Backoff();
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN \"" + channel + "\"");
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                backoff.reset();
                wake.run();
                try {
                    while (running) {
                        PGNotification[] notifications = pg.getNotifications(250);
                        if (notifications == null) {
                            continue;
                        }
                        boolean woken = false;
                        for (PGNotification n : notifications) {
                            String payload = n.getParameter();
                            if (CANCEL.equals(payload)) {
                                cancelRequested.run();
                            } else if (payload.startsWith(LIMITED)) {
                                if (interested.test(payload.substring(LIMITED.length()))) {
                                    limitedJobs.run();
                                    wake.run();
                                    woken = true;
                                }
                            } else if (!woken && interested.test(payload)) {
                                wake.run();
                                woken = true;
                            }
                        }
                    }
                } finally {
                    // A pooled connection must not go back still listening.
                    try (Statement s = c.createStatement()) {
                        s.execute("UNLISTEN *");
                    } catch (SQLException ignored) {
                        // broken connection: the pool discards it
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                long pause = backoff.next().toMillis();
                LOG.warn("listening for new jobs failed, reconnecting in {} ms (polling meanwhile): {}{}", pause, e.getMessage(), logContext);
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
