package dev.stevedore.dashboard;

import dev.stevedore.queue.JobState;
import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.QueueInsights;
import dev.stevedore.queue.QueuePause;
import dev.stevedore.queue.QueueStats;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** The overview: jobs per state, queues (depth, oldest, pickup latency, paused), throughput and failures, processes. */
@Path("/")
public class OverviewPage {

    /** Pickup latency is read from this many of the newest completed jobs. */
    static final int PICKUP_SAMPLE = 1000;
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    @TemplateData
    public record StateCard(String state, String count, boolean exact, String link) {}

    @TemplateData
    public record QueueRow(String queue, String available, String oldest, String pickupP50, String pickupP95, String sample, boolean paused,
                           String pausedBy, String pausedAgo, String link) {}

    @TemplateData
    public record PoolRow(String pool, long alive, long total, String link) {}

    @TemplateData
    public record View(List<StateCard> states, boolean estimated, List<QueueRow> queues, List<PoolRow> pools, long aliveProcesses,
                       long processes, String legend, String chart, String completedLastHour, String failedLastHour, int pickupSample) {}

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance overview(Page page, View view);
    }

    @Inject
    QueueConnection queue;

    @Inject
    Pages pages;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance overview(@CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        return Templates.overview(pages.page("Overview", "overview", session, uri), view());
    }

    View view() {
        QueueInsights insights = queue.insights();
        Instant now = insights.now();
        Map<JobState, QueueInsights.Count> counts = insights.stateCounts();
        List<StateCard> states = new ArrayList<>();
        counts.forEach((state, count) -> states.add(new StateCard(state.dbName(), Format.count(count), count.exact(), "/jobs?state=" + state.dbName())));
        boolean estimated = counts.values().stream().anyMatch(c -> !c.exact());

        Map<String, QueueStats.QueueDepth> depths = queue.admin().queueDepths();
        Map<String, QueueInsights.PickupLatency> pickup = insights.pickupLatency(PICKUP_SAMPLE);
        Map<String, QueuePause> pauses = new TreeMap<>();
        queue.admin().pausedQueues().forEach(p -> pauses.put(p.queue(), p));
        TreeSet<String> names = new TreeSet<>(depths.keySet());
        names.addAll(pickup.keySet());
        names.addAll(pauses.keySet());
        List<QueueRow> queues = new ArrayList<>();
        for (String name : names) {
            QueueStats.QueueDepth depth = depths.get(name);
            QueueInsights.PickupLatency latency = pickup.get(name);
            QueuePause pause = pauses.get(name);
            queues.add(new QueueRow(name, depth == null ? "0" : Format.number(depth.available()),
                    depth == null ? "" : Format.millis(depth.oldestAvailableAgeMs()),
                    latency == null ? "" : Format.millis(latency.p50Ms()), latency == null ? "" : Format.millis(latency.p95Ms()),
                    latency == null ? "" : Format.number(latency.sample()), pause != null, pause == null ? "" : pause.pausedBy(),
                    pause == null ? "" : Format.ago(pause.pausedAt(), now), "/jobs?queue=" + name));
        }

        List<ProcessView> processes = queue.admin().processes();
        Map<String, long[]> byPool = new TreeMap<>();
        for (ProcessView p : processes) {
            long[] n = byPool.computeIfAbsent(p.pool(), k -> new long[2]);
            n[0] += p.alive() ? 1 : 0;
            n[1]++;
        }
        List<PoolRow> pools = new ArrayList<>();
        byPool.forEach((pool, n) -> pools.add(new PoolRow(pool, n[0], n[1], "/processes#pool-" + pool)));
        long alive = processes.stream().filter(ProcessView::alive).count();

        List<QueueInsights.FinishedInterval> series = insights.finished(Duration.ofHours(1), Duration.ofMinutes(1));
        List<Charts.Column> columns = new ArrayList<>();
        long completed = 0;
        long failed = 0;
        for (QueueInsights.FinishedInterval i : series) {
            columns.add(new Charts.Column(MINUTE.format(i.start()), List.of(i.completed(), i.failed(), i.discarded())));
            completed += i.completed();
            failed += i.failed();
        }
        List<String> outcomes = List.of("completed", "failed", "discarded");
        String chart = Charts.stackedBars("Jobs finished per minute over the last hour", outcomes, columns);
        return new View(states, estimated, queues, pools, alive, processes.size(), Charts.legend(outcomes), chart, Format.number(completed), Format.number(failed), PICKUP_SAMPLE);
    }
}
