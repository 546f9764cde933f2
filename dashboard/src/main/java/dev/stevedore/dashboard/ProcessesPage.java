package dev.stevedore.dashboard;

import dev.stevedore.queue.ProcessView;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registered worker processes, by pool: where each runs, its heartbeat's age, and whether it counts as alive. */
@Path("/processes")
public class ProcessesPage {

    @TemplateData
    public record ProcessRow(long id, String pod, String node, String host, long pid, String queues, int threads, String started,
                             String heartbeatAge, String aliveThreshold, boolean alive) {}

    @TemplateData
    public record PoolGroup(String pool, String anchor, long alive, List<ProcessRow> processes) {}

    @CheckedTemplate(basePath = "")
    static class Templates {
        static native TemplateInstance processes(Page page, List<PoolGroup> pools);
    }

    @Inject
    QueueConnection queue;

    @Inject
    Pages pages;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance processes(@CookieParam(Access.SESSION_COOKIE) String session, @Context UriInfo uri) {
        Map<String, List<ProcessRow>> byPool = new LinkedHashMap<>();
        for (ProcessView p : queue.admin().processes()) {
            // Ages by the database's clock, as the alive verdict is.
            Duration age = Duration.between(p.lastHeartbeatAt(), p.observedAt());
            byPool.computeIfAbsent(p.pool(), k -> new ArrayList<>()).add(new ProcessRow(p.id(), orEmpty(p.pod()), orEmpty(p.node()), p.host(), p.pid(),
                    String.join(", ", p.queues()), p.threads(), Format.ago(p.startedAt(), p.observedAt()), Format.duration(age.isNegative() ? Duration.ZERO : age),
                    Format.duration(p.aliveThreshold()), p.alive()));
        }
        List<PoolGroup> pools = new ArrayList<>();
        byPool.forEach((pool, rows) -> pools.add(new PoolGroup(pool, "pool-" + pool, rows.stream().filter(ProcessRow::alive).count(), rows)));
        return Templates.processes(pages.page("Processes", "processes", session, uri), pools);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
