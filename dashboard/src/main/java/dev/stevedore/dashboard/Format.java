package dev.stevedore.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.queue.QueueInsights;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the pages write numbers, times and JSON: every value in one style, times in UTC. */
final class Format {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Format() {}

    /** 1,234,567 */
    static String number(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** An exact count in full; an estimate rounded, marked with ≈ (1.2M, 35k). */
    static String count(QueueInsights.Count count) {
        return count.exact() ? number(count.value()) : "≈ " + compact(count.value());
    }

    static String compact(long n) {
        if (n >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", n / 1_000_000.0);
        }
        if (n >= 10_000) {
            return String.format(Locale.ROOT, "%dk", Math.round(n / 1_000.0));
        }
        return number(n);
    }

    /** 2026-12-02 15:04:05 UTC, or an empty text for null. */
    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    /** How long ago {@code t} was, as of {@code now}: "12 s ago"; "in 3 min" for the future. */
    static String ago(Instant t, Instant now) {
        if (t == null) {
            return "";
        }
        Duration d = Duration.between(t, now);
        return d.isNegative() ? "in " + duration(d.negated()) : duration(d) + " ago";
    }

    /** 850 ms, 12 s, 4 min 10 s, 3 h 5 min, 2 d 4 h. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1_000) {
            return ms + " ms";
        }
        long s = ms / 1_000;
        if (s < 60) {
            return s + " s";
        }
        if (s < 3_600) {
            return s / 60 + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
        }
        if (s < 86_400) {
            return s / 3_600 + " h" + (s % 3_600 / 60 == 0 ? "" : " " + s % 3_600 / 60 + " min");
        }
        return s / 86_400 + " d" + (s % 86_400 / 3_600 == 0 ? "" : " " + s % 86_400 / 3_600 + " h");
    }

    static String millis(long ms) {
        return duration(Duration.ofMillis(ms));
    }

    /** JSON indented for reading; text that is not JSON as it is. */
    static String prettyJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
        } catch (Exception notJson) {
            return json;
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text == null ? "[]" : text);
        } catch (Exception e) {
            return JSON.createArrayNode();
        }
    }

    /** The first line of a message, at most {@code max} characters. */
    static String shorten(String text, int max) {
        if (text == null) {
            return "";
        }
        String line = text.lines().findFirst().orElse("");
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }
}
