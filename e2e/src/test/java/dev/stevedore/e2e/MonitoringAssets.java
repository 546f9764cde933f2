package dev.stevedore.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The monitoring assets of {@code deploy/monitoring}: the PromQL they hold, and the metric names it reads. */
final class MonitoringAssets {

    static final Path DASHBOARD = RealNode.projectDir().resolve("deploy/monitoring/grafana-dashboard.json");
    static final Path ALERTS = RealNode.projectDir().resolve("deploy/monitoring/alerts.yaml");

    private static final Pattern METRIC = Pattern.compile("\\bstevedore_[a-z0-9_]+");
    private static final Pattern SAMPLE = Pattern.compile("^(stevedore_[a-z0-9_]+)[{ ]", Pattern.MULTILINE);

    private MonitoringAssets() {}

    /** Every PromQL expression of the dashboard's panels (their {@code expr} fields) and of the alerts. */
    static List<String> expressions() {
        List<String> expressions = new ArrayList<>();
        collect(read(new ObjectMapper(), DASHBOARD), "expr", expressions);
        collect(read(new ObjectMapper(new YAMLFactory()), ALERTS), "expr", expressions);
        return expressions;
    }

    /** The Stevedore metric names those expressions read. */
    static Set<String> metricNames() {
        return names(METRIC, String.join("\n", expressions()));
    }

    /** The metric names a Prometheus exposition (a /q/metrics page) holds samples of. */
    static Set<String> exposed(String exposition) {
        return names(SAMPLE, exposition);
    }

    static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void collect(JsonNode node, String field, List<String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals(field) && e.getValue().isTextual()) {
                    into.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), field, into);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, field, into));
        }
    }

    private static Set<String> names(Pattern pattern, String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            names.add(m.groupCount() > 0 ? m.group(1) : m.group());
        }
        return names;
    }
}
