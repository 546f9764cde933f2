package dev.stevedore.dashboard;

import dev.stevedore.queue.JobFilter;
import dev.stevedore.queue.JobState;
import dev.stevedore.queue.TimeArgument;
import io.quarkus.qute.TemplateData;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The jobs filter as the pages carry it, in links and forms: the CLI's filters (state, queue, handler, error class, since,
 * until), as text. {@link #toFilter} checks it and names the field at fault.
 */
@TemplateData
public record JobFilterForm(String state, String queue, String handler, String error, String since, String until) {

    public JobFilterForm {
        state = clean(state);
        queue = clean(queue);
        handler = clean(handler);
        error = clean(error);
        since = clean(since);
        until = clean(until);
    }

    private static String clean(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** The filter, or IllegalArgumentException naming the field and what it takes. */
    public JobFilter toFilter(int limit) {
        Set<JobState> states;
        try {
            states = state == null ? Set.of() : Set.of(JobState.parse(state));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("state: " + e.getMessage());
        }
        return new JobFilter(states, queue, handler, error, TimeArgument.parse(since, "since"), TimeArgument.parse(until, "until"), limit);
    }

    public boolean isEmpty() {
        return state == null && queue == null && handler == null && error == null && since == null && until == null;
    }

    /** The filter's query parameters, for links that keep it. */
    public Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        put(p, "state", state);
        put(p, "queue", queue);
        put(p, "handler", handler);
        put(p, "error", error);
        put(p, "since", since);
        put(p, "until", until);
        return p;
    }

    /** A query string of the filter plus {@code extra} (name, value pairs), starting with '?' unless empty. */
    public String query(String... extra) {
        Map<String, String> p = parameters();
        for (int i = 0; i + 1 < extra.length; i += 2) {
            put(p, extra[i], extra[i + 1]);
        }
        List<String> parts = new ArrayList<>();
        p.forEach((k, v) -> parts.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return parts.isEmpty() ? "" : "?" + String.join("&", parts);
    }

    /** In words, for a confirmation: "state failed, queue mail". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parameters().forEach((k, v) -> parts.add((k.equals("error") ? "last error " : k + " ") + v));
        return parts.isEmpty() ? "no filter" : String.join(", ", parts);
    }

    private static void put(Map<String, String> p, String name, String value) {
        if (value != null && !value.isBlank()) {
            p.put(name, value);
        }
    }
}
