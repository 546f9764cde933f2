package dev.stevedore.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.queue.HandlerRegistry;
import dev.stevedore.queue.JobContext;
import dev.stevedore.queue.PermanentJobFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The handlers every worker has. {@code http} is always there. The demo handlers ({@code sleep},
 * {@code fail}, {@code crash}, {@code allocate}) only with STEVEDORE_DEMO_HANDLERS=true: anyone who can enqueue
 * could otherwise stall or kill a pool.
 */
final class BuiltInHandlers {

    private static final Duration DEFAULT_HTTP_TIMEOUT = Duration.ofSeconds(30);

    private final ObjectMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    BuiltInHandlers(ObjectMapper json) {
        this.json = json;
    }

    void registerInto(HandlerRegistry.Builder registry, boolean demo) {
        registry.register("http", this::http);
        if (demo) {
            registry.register("sleep", job -> Thread.sleep(args(job).path("ms").asLong(0)));
            registry.register("fail", job -> {
                throw new IllegalStateException(args(job).path("message").asText("the fail handler failed, as asked"));
            });
            // Like a native crash or an OOM kill: no shutdown hooks, no goodbye.
            registry.register("crash", job -> Runtime.getRuntime().halt(args(job).path("exitCode").asInt(137)));
            registry.register("allocate", job -> allocate(args(job).path("mb").asLong(0)));
        }
    }

    /**
     * Takes {@code mb} MiB of native memory (0: without end), in steps of 16 MiB, and touches every page, so the
     * process really uses it: past the container's memory limit the kernel's OOM killer ends the JVM (OOMKilled, 137),
     * which no Java heap limit or -XX:+ExitOnOutOfMemoryError sees first. Native memory, because the heap is capped
     * below the limit and a full heap only makes the JVM exit by itself. A job that ends gives its memory back.
     */
    private static void allocate(long mb) throws ReflectiveOperationException {
        if (mb < 0 || mb > (1L << 30)) {
            throw new PermanentJobFailure("allocate: mb must be from 0 (no end) to 2^30, got " + mb);
        }
        java.lang.reflect.Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
        long step = 16L << 20;
        List<Long> taken = new ArrayList<>();
        try {
            while (mb == 0 || taken.size() * step < (mb << 20)) {
                long address = unsafe.allocateMemory(step);
                taken.add(address);
                unsafe.setMemory(address, step, (byte) 1);
            }
        } finally {
            taken.forEach(unsafe::freeMemory);
        }
    }

    /**
     * POSTs the job's arguments as JSON to {@code args.url}. 2xx succeeds; 4xx fails without retry (sending the
     * same request again will not help); 5xx, timeouts and connection errors fail and are retried.
     * {@code args.timeoutMs} bounds the request (default 30 s).
     */
    private void http(JobContext job) throws Exception {
        JsonNode args = args(job);
        String url = args.path("url").asText(null);
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new PermanentJobFailure("the http handler needs args.url, an http:// or https:// URL; got " + args.path("url"));
        }
        Duration timeout = args.has("timeoutMs") ? Duration.ofMillis(args.get("timeoutMs").asLong()) : DEFAULT_HTTP_TIMEOUT;
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("X-Stevedore-Job-Id", Long.toString(job.id()))
                .header("X-Stevedore-Attempt", Integer.toString(job.attempt()))
                .POST(HttpRequest.BodyPublishers.ofString(job.args())).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new IOException("POST " + url + " timed out after " + timeout.toMillis() + " ms", e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return;
        }
        String body = response.body() == null ? "" : response.body().substring(0, Math.min(200, response.body().length()));
        if (status >= 400 && status < 500) {
            throw new PermanentJobFailure("POST " + url + " answered " + status + ": " + body);
        }
        throw new IOException("POST " + url + " answered " + status + ": " + body);
    }

    private JsonNode args(JobContext job) throws IOException {
        return json.readTree(job.args());
    }
}
