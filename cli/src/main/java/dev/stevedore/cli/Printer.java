package dev.stevedore.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stevedore.queue.JobView;
import dev.stevedore.queue.ProcessView;
import dev.stevedore.queue.Pruner;
import dev.stevedore.queue.QueuePause;
import dev.stevedore.queue.Schedule;
import dev.stevedore.queue.ScheduleView;
import dev.stevedore.queue.Durations;
import dev.stevedore.queue.QueueStats;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns admin API results into the CLI's two outputs. The JSON shapes are a stable interface (see the
 * README): fields may be added, never renamed or removed.
 */
final class Printer {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Printer() {}

    static void json(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> job(JobView j, boolean full) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("queue", j.queue());
        m.put("handler", j.handler());
        m.put("state", j.state().dbName());
        m.put("priority", j.priority());
        m.put("attempts", j.attempts());
        m.put("maxAttempts", j.maxAttempts());
        m.put("prunes", j.prunes());
        m.put("runAt", text(j.runAt()));
        m.put("createdAt", text(j.createdAt()));
        m.put("finishedAt", text(j.finishedAt()));
        m.put("lastError", error(j.lastError()));
        if (full) {
            m.put("args", parse(j.args()));
            m.put("checkpoint", j.checkpoint() == null ? null : parse(j.checkpoint()));
            m.put("uniqueKey", j.uniqueKey());
            m.put("concurrencyKey", j.concurrencyKey());
            m.put("concurrencyLimit", j.concurrencyLimit());
            m.put("claimedBy", j.claimedBy());
            m.put("claimedAt", text(j.claimedAt()));
            m.put("errors", parse(j.errors()));
        }
        return m;
    }

    static Map<String, Object> error(JobView.JobError e) {
        if (e == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", e.errorClass());
        m.put("message", e.message());
        m.put("at", text(e.at()));
        m.put("attempt", e.attempt());
        if (e.reason() != null || e.prunedAt() != null) {
            m.put("reason", e.reason());
            m.put("process", e.process());
            m.put("pod", e.pod());
            m.put("node", e.node());
            m.put("host", e.host());
            m.put("pid", e.pid());
            m.put("exitCode", e.exitCode());
            m.put("signal", e.signal());
            m.put("lastHeartbeatAt", text(e.lastHeartbeatAt()));
            m.put("prunedAt", text(e.prunedAt()));
        }
        return m;
    }

    static Map<String, Object> process(ProcessView p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("pool", p.pool());
        m.put("pod", p.pod());
        m.put("node", p.node());
        m.put("pid", p.pid());
        m.put("host", p.host());
        m.put("queues", p.queues());
        m.put("threads", p.threads());
        m.put("startedAt", text(p.startedAt()));
        m.put("lastHeartbeatAt", text(p.lastHeartbeatAt()));
        m.put("alive", p.alive());
        return m;
    }

    static Map<String, Object> prunedProcess(Pruner.PrunedProcess p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.processId());
        m.put("pool", p.pool());
        m.put("pod", p.pod());
        m.put("node", p.node());
        m.put("host", p.host());
        m.put("pid", p.pid());
        m.put("lastHeartbeatAt", text(p.lastHeartbeatAt()));
        m.put("failedJobs", p.failedJobIds());
        m.put("retriedJobs", p.retriedJobIds());
        return m;
    }

    static Map<String, Object> stats(QueueStats s) {
        Map<String, Object> jobs = new LinkedHashMap<>();
        s.jobs().forEach((state, n) -> jobs.put(state.dbName(), n));
        Map<String, Object> queues = new LinkedHashMap<>();
        s.queues().forEach((q, d) -> {
            Map<String, Object> depth = new LinkedHashMap<>();
            depth.put("available", d.available());
            depth.put("oldestAvailableAgeMs", d.oldestAvailableAgeMs());
            queues.put(q, depth);
        });
        Map<String, Object> paused = new LinkedHashMap<>();
        s.pausedQueues().forEach(p -> paused.put(p.queue(), pause(p)));
        Map<String, Object> processes = new LinkedHashMap<>();
        processes.put("alive", s.aliveProcesses());
        processes.put("registered", s.processes());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobs", jobs);
        m.put("queues", queues);
        m.put("pausedQueues", paused);
        m.put("processes", processes);
        return m;
    }

    static Map<String, Object> pause(QueuePause p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pausedAt", p.pausedAt().toString());
        m.put("pausedBy", p.pausedBy());
        m.put("reason", p.reason());
        return m;
    }

    /** One queue of 'queues list': its depth (none when it has no available job) and its pause (null when running). */
    static Map<String, Object> queue(String name, QueueStats.QueueDepth depth, QueuePause pause) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queue", name);
        m.put("available", depth == null ? 0 : depth.available());
        m.put("oldestAvailableAgeMs", depth == null ? null : depth.oldestAvailableAgeMs());
        m.put("paused", pause != null);
        m.put("pause", pause == null ? null : pause(pause));
        return m;
    }

    /** One schedule of 'schedules list': its definition and its last and next run. */
    static Map<String, Object> schedule(ScheduleView v) {
        Schedule s = v.schedule();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("cron", s.cron().expression());
        m.put("timeZone", s.timeZone().getId());
        m.put("queue", s.queue());
        m.put("handler", s.handler());
        m.put("args", parse(s.args()));
        m.put("priority", s.priority());
        m.put("maxAttempts", s.maxAttempts());
        m.put("timeout", s.timeout() == null ? null : Durations.format(s.timeout()));
        m.put("missed", s.missed().dbName());
        m.put("pool", v.pool());
        m.put("nextRunAt", text(v.nextRunAt()));
        m.put("lastRunAt", text(v.lastRunAt()));
        m.put("lastJobId", v.lastJobId());
        m.put("lastJobState", v.lastJobState() == null ? null : v.lastJobState().dbName());
        return m;
    }

    /** A plain table: a header row, then one row per item, columns padded to fit. */
    static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
        int[] widths = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + widths[i] + "s  ", row.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    static String cell(Object value) {
        return value == null ? "-" : value.toString();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON could not be read: " + e.getOriginalMessage(), e);
        }
    }
}
