package dev.stevedore.bench;

import java.util.function.IntConsumer;
import javax.sql.DataSource;

/**
 * One job queue in the comparison, configured as its own documentation recommends for throughput, on a database
 * of its own on the shared PostgreSQL server. Every job is a no-op that reports its sequence number.
 */
public interface QueueUnderTest extends AutoCloseable {

    /** Name and version, as the report shows it: "Stevedore", "db-scheduler 16.12.0", "JobRunr 8.7.0". */
    String name();

    /** How this system is configured for the run, one line for the report (poll interval, strategy, batch API). */
    String configuration();

    /** Creates this system's tables in an empty database and keeps the data source for the calls below. */
    void install(DataSource dataSource) throws Exception;

    /** Deletes every job, finished or not, so the next measurement starts from an empty table. */
    void reset() throws Exception;

    /** Enqueues the jobs {@code from} .. {@code from + count - 1}, one client call (one transaction) each. */
    void enqueueSingly(int from, int count) throws Exception;

    /** Enqueues the jobs {@code from} .. {@code from + count - 1} through the system's batch API, {@code batch} per call. */
    void enqueueBatched(int from, int count, int batch) throws Exception;

    /**
     * Starts one worker with {@code threads} execution threads that runs the jobs of this system; each job calls
     * {@code ran} with its sequence number. Closing it stops the worker.
     */
    AutoCloseable startWorker(int threads, IntConsumer ran) throws Exception;

    /** Jobs enqueued and not yet finished (completed and committed), counted in the database. */
    long unfinished() throws Exception;

    /** Stops a worker still running and lets go of the system's clients; the harness owns the data source. */
    @Override
    void close();
}
