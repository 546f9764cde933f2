package dev.stevedore.queue;

import dev.stevedore.queue.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A job to enqueue. Build one with {@link #of(String, String)}:
 *
 * <pre>{@code
 * NewJob.of("mail", "send-welcome").args("{\"user\": 42}").priority(-1).maxAttempts(5).build()
 * }</pre>
 *
 * Lower priority numbers run first. {@code runAt} (or {@code delay}) schedules the job for later. A job with a
 * {@code concurrencyKey} starts only while fewer than {@code concurrencyLimit} jobs of that key run, across all workers.
 */
public record NewJob(String queue, String handler, String args, int priority, Instant runAt, Duration delay,
                     int maxAttempts, String uniqueKey, Duration timeout, String concurrencyKey, Integer concurrencyLimit) {

    public static final int DEFAULT_MAX_ATTEMPTS = 25;
    static final Pattern QUEUE = Pattern.compile("[A-Za-z0-9_.:-]{1,100}");
    static final Pattern HANDLER = Pattern.compile("[A-Za-z0-9_.:$-]{1,200}");

    /** Refuses a queue name the jobs table would refuse, saying what a name may hold. */
    static void checkQueueName(String queue) {
        if (queue == null || !QUEUE.matcher(queue).matches()) {
            throw new IllegalArgumentException("queue '" + queue + "' is invalid: use 1 to 100 letters, digits, '_', '.', ':' or '-'");
        }
    }

    public NewJob {
        checkQueueName(queue);
        if (handler == null || !HANDLER.matcher(handler).matches()) {
            throw new IllegalArgumentException("handler '" + handler + "' is invalid: use 1 to 200 letters, digits, '_', '.', ':', '$' or '-'");
        }
        Json.requireValid(args, "args");
        if (priority < Short.MIN_VALUE || priority > Short.MAX_VALUE) {
            throw new IllegalArgumentException("priority " + priority + " is out of range: use " + Short.MIN_VALUE + " to " + Short.MAX_VALUE);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (uniqueKey != null && uniqueKey.isBlank()) {
            throw new IllegalArgumentException("uniqueKey must not be blank: leave it out for a job without one");
        }
        if (runAt != null && delay != null) {
            throw new IllegalArgumentException("give either runAt or delay, not both");
        }
        if (delay != null && delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        checkConcurrency(concurrencyKey, concurrencyLimit);
    }

    /** Refuses a concurrency key or limit the jobs table would refuse, saying what is allowed. */
    static void checkConcurrency(String key, Integer limit) {
        if ((key == null) != (limit == null)) {
            throw new IllegalArgumentException("a concurrency key needs a concurrency limit and a limit a key: give both, or neither");
        }
        if (key != null && (key.isBlank() || key.length() > 200)) {
            throw new IllegalArgumentException("concurrency key must be 1 to 200 characters and not blank, got '" + key + "'");
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("concurrency limit must be at least 1, got " + limit);
        }
    }

    public static Builder of(String queue, String handler) {
        return new Builder(queue, handler);
    }

    public static final class Builder {
        private final String queue;
        private final String handler;
        private String args = "{}";
        private int priority;
        private Instant runAt;
        private Duration delay;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private String uniqueKey;
        private Duration timeout;
        private String concurrencyKey;
        private Integer concurrencyLimit;

        private Builder(String queue, String handler) {
            this.queue = queue;
            this.handler = handler;
        }

        /** Arguments as a JSON text; {@code {}} when not set. */
        public Builder args(String json) {
            this.args = json;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder runAt(Instant runAt) {
            this.runAt = runAt;
            this.delay = null;
            return this;
        }

        /** Run no earlier than this long from now (measured on the database clock). */
        public Builder delay(Duration delay) {
            this.delay = Objects.requireNonNull(delay, "delay");
            this.runAt = null;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** At most one unfinished job (scheduled, available or running) may hold a unique key. */
        public Builder uniqueKey(String uniqueKey) {
            this.uniqueKey = uniqueKey;
            return this;
        }

        /** Fail the attempt when the handler runs longer than this. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Run only while fewer than {@code limit} jobs with this key run, across all workers (e.g. at most one job per
         * {@code account:42} at a time). Jobs sharing a key should share a limit: a claim applies the limit of the key's next job.
         */
        public Builder concurrency(String key, int limit) {
            this.concurrencyKey = key;
            this.concurrencyLimit = limit;
            return this;
        }

        public NewJob build() {
            return new NewJob(queue, handler, args, priority, runAt, delay, maxAttempts, uniqueKey, timeout, concurrencyKey, concurrencyLimit);
        }
    }
}
