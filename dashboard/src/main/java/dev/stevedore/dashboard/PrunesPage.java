package dev.stevedore.dashboard;

import dev.stevedore.queue.QueueInsights;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateData;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Where workers die, and why: every ProcessPrunedError of a window counted by reason, pool and node, over time, and the
 * newest prunes with the job each one struck.
 */
@Path("/prunes")
public class PrunesPage {

    static final int RECENT = 50;

    /** The windows the page offers, each with the width of its chart's bars. */
    enum Window {
        HOUR("1h", Duration.ofHours(1), Duration.ofMinutes(5), "HH:mm"),
        DAY("24h", Duration.ofHours(24), Duration.ofHours(1), "MM-dd HH:mm"),
        WEEK("7d", Duration.ofDays(7), Duration.ofHours(6), "MM-dd HH:mm");

        final String name;
        final Duration length;
        final Duration step;
        final DateTimeFormatter label;

        Window(String name, Duration length, Duration step, String label) {
            this.name = name;
            this.length = length;
            this.step = step;
            this.label = DateTimeFormatter.ofPattern(label, Locale.ROOT).withZone(ZoneOffset.UTC);
        }

        static Window of(String name) {
            for (Window w : values()) {
                if (w.name.equals(name)) {
                    return w;
                }
            }
            if (name == null || name.isBlank()) {
                return DAY;
            }
            throw new IllegalArgumentException("window must be 1h, 24h or 7d, got '" + name + "'");
        }
    }

    @TemplateData
    public record Share(String label, long count, String bar) {}

    @TemplateData
    public record PruneRow(long jobId, String jobState, String queue, String handler, String reason, String pool, String pod, String node,
                           String exit, String prunedAt, String prunedAgo) {}

    @TemplateData
    public record View(String window, List<String> windows, long total, List<Share> byReason, List<Share> byPool, List<Share> byNode,
                       String legend, String chart, List<PruneRow> recent) {}

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance prunes(Page page, View view);
    }

    @Inject
    QueueConnection queue;

    @Inject
    Pages pages;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance prunes(@QueryParam("window") String windowName, @CookieParam(Access.SESSION_COOKIE) String session,
                                   @Context UriInfo uri) {
        Window window = Window.of(windowName);
        QueueInsights insights = queue.insights();
        Instant now = insights.now();
        Instant since = now.minus(window.length);
        List<QueueInsights.PruneCount> counts = insights.pruneCounts(since, window.step);
        long total = counts.stream().mapToLong(QueueInsights.PruneCount::count).sum();

        // Reasons stack in the chart in a fixed order, most frequent first.
        Map<String, Long> reasons = totals(counts, QueueInsights.PruneCount::reason);
        List<String> series = new ArrayList<>(reasons.keySet());
        Map<Instant, long[]> byInterval = new TreeMap<>();
        long step = window.step.toSeconds();
        long first = Math.floorDiv(since.getEpochSecond(), step) + 1;
        long last = Math.floorDiv(now.getEpochSecond(), step);
        for (long b = first; b <= last; b++) {
            byInterval.put(Instant.ofEpochSecond(b * step), new long[series.size()]);
        }
        for (QueueInsights.PruneCount c : counts) {
            long[] values = byInterval.computeIfAbsent(c.start(), k -> new long[series.size()]);
            values[series.indexOf(c.reason())] += c.count();
        }
        List<Charts.Column> columns = new ArrayList<>();
        byInterval.forEach((start, values) -> columns.add(new Charts.Column(window.label.format(start),
                java.util.Arrays.stream(values).boxed().toList())));
        String chart = Charts.stackedBars("Prunes per " + Format.duration(window.step) + " by reason", series, columns);

        List<PruneRow> recent = insights.prunes(since, RECENT).stream().map(p -> new PruneRow(p.jobId(), p.jobState().dbName(), p.queue(), p.handler(),
                p.reason() == null ? "Unknown" : p.reason(), orEmpty(p.pool()), orEmpty(p.pod()), orEmpty(p.node()), exit(p),
                Format.time(p.prunedAt()), Format.ago(p.prunedAt(), now))).toList();

        View view = new View(window.name, java.util.Arrays.stream(Window.values()).map(w -> w.name).toList(), total,
                shares(reasons, total),
                shares(totals(counts, c -> c.pool().isEmpty() ? "(unknown)" : c.pool()), total),
                shares(totals(counts, c -> c.node().isEmpty() ? "(unknown)" : c.node()), total), Charts.legend(series), chart, recent);
        return Templates.prunes(pages.page("Prunes", "prunes", session, uri), view);
    }

    private static Map<String, Long> totals(List<QueueInsights.PruneCount> counts, Function<QueueInsights.PruneCount, String> key) {
        Map<String, Long> totals = new LinkedHashMap<>();
        counts.forEach(c -> totals.merge(key.apply(c), c.count(), Long::sum));
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(totals.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        Map<String, Long> ordered = new LinkedHashMap<>();
        sorted.forEach(e -> ordered.put(e.getKey(), e.getValue()));
        return ordered;
    }

    private static List<Share> shares(Map<String, Long> totals, long total) {
        List<Share> shares = new ArrayList<>();
        totals.forEach((label, count) -> shares.add(new Share(label, count, Charts.share(count, total))));
        return shares;
    }

    private static String exit(QueueInsights.Prune p) {
        if (p.exitCode() == null) {
            return p.signal() == null ? "" : p.signal();
        }
        return p.exitCode() + (p.signal() == null ? "" : " (" + p.signal() + ")");
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
