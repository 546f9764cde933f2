package dev.stevedore.queue;

import dev.stevedore.queue.internal.ScheduleQueries;
import dev.stevedore.queue.internal.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Declares recurring jobs. Workers enqueue their runs (see {@link Schedule}); this class sets, lists and deletes them, and
 * runs one at once. A schedule set by hand (this API, the CLI) and one declared by a JobWorkerPool's {@code spec.schedules}
 * never overwrite each other: each is changed only where it is declared.
 */
public final class Schedules {

    /** The outcome of {@link #syncPool}: what the pool's schedules are now, and the names it may not take (set by hand, or by another pool). */
    public record PoolSync(List<ScheduleView> schedules, List<String> deleted, List<Conflict> conflicts) {}

    /** A schedule that was not written because another declares its name: a pool ("namespace/name"), or null for one set by hand. */
    public record Conflict(String name, String declaredByPool) {

        /** Who declares the name, for messages. */
        public String declaredBy() {
            return declaredByPool == null ? "a schedule set by hand (stevedore schedules set, or the Java API)" : "JobWorkerPool " + declaredByPool;
        }
    }

    private final DataSource dataSource;
    private final ScheduleQueries queries;

    public Schedules(DataSource dataSource, QueueSchema schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.queries = new ScheduleQueries(schema);
    }

    /**
     * Creates or changes a schedule set by hand. A changed cron expression or time zone starts from the next time after now;
     * otherwise its next run stays as it was. Refused if a JobWorkerPool declares the name.
     */
    public ScheduleView set(Schedule schedule) {
        Objects.requireNonNull(schedule, "schedule");
        try {
            return Sql.inTransaction(dataSource, c -> {
                Optional<Conflict> conflict = write(c, schedule, null);
                if (conflict.isPresent()) {
                    throw new IllegalArgumentException("schedule '" + schedule.name() + "' is declared by " + conflict.get().declaredBy()
                            + " in its spec.schedules: change it there (the operator would put it back), or use another name");
                }
                return queries.list(c, Optional.of(schedule.name())).get(0);
            });
        } catch (SQLException e) {
            throw new QueueException("could not set schedule '" + schedule.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Makes the schedules of JobWorkerPool {@code pool} ("namespace/name") exactly {@code schedules}: sets each, deletes the
     * pool's others. A name set by hand or declared by another pool is left alone and reported as a conflict.
     */
    public PoolSync syncPool(String pool, List<Schedule> schedules) {
        requirePool(pool);
        Set<String> names = new HashSet<>();
        for (Schedule s : schedules) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("schedule '" + s.name() + "' is declared twice: give each schedule its own name");
            }
        }
        try {
            return Sql.inTransaction(dataSource, c -> {
                List<Conflict> conflicts = new ArrayList<>();
                List<String> kept = new ArrayList<>();
                // By name: two syncs that lock the same rows lock them in the same order.
                List<Schedule> byName = new ArrayList<>(schedules);
                byName.sort(java.util.Comparator.comparing(Schedule::name));
                for (Schedule s : byName) {
                    Optional<Conflict> conflict = write(c, s, pool);
                    if (conflict.isPresent()) {
                        conflicts.add(conflict.get());
                    } else {
                        kept.add(s.name());
                    }
                }
                List<String> deleted = queries.deleteOthersOfPool(c, pool, kept);
                return new PoolSync(queries.listOfPool(c, pool), deleted, conflicts);
            });
        } catch (SQLException e) {
            throw new QueueException("could not set the schedules of JobWorkerPool " + pool + ": " + e.getMessage(), e);
        }
    }

    /** Writes the schedule for {@code pool} (null: by hand) unless another declares its name. */
    private Optional<Conflict> write(Connection c, Schedule s, String pool) throws SQLException {
        ScheduleQueries.Stored stored = queries.lock(c, s.name());
        if (stored.exists() && !Objects.equals(stored.pool(), pool)) {
            return Optional.of(new Conflict(s.name(), stored.pool()));
        }
        boolean sameTimes = stored.exists() && s.cron().expression().equals(stored.cron()) && s.timeZone().getId().equals(stored.timeZone());
        Instant next = sameTimes ? stored.nextRunAt() : s.cron().nextAfter(stored.now(), s.timeZone());
        queries.write(c, s, pool, next, stored.exists());
        return Optional.empty();
    }

    /** Every schedule, by name. */
    public List<ScheduleView> list() {
        try {
            return Sql.withConnection(dataSource, c -> queries.list(c, Optional.empty()));
        } catch (SQLException e) {
            throw new QueueException("could not list schedules: " + e.getMessage(), e);
        }
    }

    public Optional<ScheduleView> get(String name) {
        Schedule.checkName(name);
        try {
            return Sql.withConnection(dataSource, c -> queries.list(c, Optional.of(name))).stream().findFirst();
        } catch (SQLException e) {
            throw new QueueException("could not read schedule '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Deletes a schedule set by hand; false if there is none. Jobs it enqueued stay. Refused for a pool's schedule. */
    public boolean delete(String name) {
        Schedule.checkName(name);
        try {
            return Sql.inTransaction(dataSource, c -> {
                ScheduleQueries.Stored stored = queries.lock(c, name);
                if (!stored.exists()) {
                    return false;
                }
                if (stored.pool() != null) {
                    throw new IllegalArgumentException("schedule '" + name + "' is declared by JobWorkerPool " + stored.pool()
                            + " in its spec.schedules: remove it there and the operator deletes it");
                }
                return queries.delete(c, name);
            });
        } catch (SQLException e) {
            throw new QueueException("could not delete schedule '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Deletes every schedule of JobWorkerPool {@code pool} (the pool is being deleted); returns their names. */
    public List<String> deletePool(String pool) {
        requirePool(pool);
        try {
            return Sql.inTransaction(dataSource, c -> queries.deleteOthersOfPool(c, pool, List.of()));
        } catch (SQLException e) {
            throw new QueueException("could not delete the schedules of JobWorkerPool " + pool + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes the schedules of every pool {@code gone} says no longer exists (the operator's, which keeps no finalizer on
     * pools); returns the names deleted, by pool.
     */
    public Map<String, List<String>> deletePoolsGone(Predicate<String> gone) {
        try {
            return Sql.inTransaction(dataSource, c -> {
                Map<String, List<String>> deleted = new TreeMap<>();
                for (String pool : queries.pools(c)) {
                    if (gone.test(pool)) {
                        deleted.put(pool, queries.deleteOthersOfPool(c, pool, List.of()));
                    }
                }
                return deleted;
            });
        } catch (SQLException e) {
            throw new QueueException("could not delete the schedules of deleted pools: " + e.getMessage(), e);
        }
    }

    /**
     * Enqueues a run of the schedule now, beside its regular runs (which go on as they were); returns the job's id, or empty
     * if there is no such schedule.
     */
    public Optional<Long> runNow(String name) {
        Schedule.checkName(name);
        try {
            return Sql.withConnection(dataSource, c -> queries.runNow(c, name));
        } catch (SQLException e) {
            throw new QueueException("could not run schedule '" + name + "': " + e.getMessage(), e);
        }
    }

    private static void requirePool(String pool) {
        if (pool == null || pool.isBlank() || pool.length() > 300) {
            throw new IllegalArgumentException("pool must name a JobWorkerPool as namespace/name, got '" + pool + "'");
        }
    }
}
