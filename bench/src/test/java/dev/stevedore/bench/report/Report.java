package dev.stevedore.bench.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The results of one benchmark run: measurements in the order they were taken, grouped by section, plus free-text
 * header lines describing the machine, rendered as a terminal table, markdown and TSV.
 */
public final class Report {

    private static final Pattern MILLIS_WORD = Pattern.compile("(?<![A-Za-z])ms(?![A-Za-z])");

    private final String title;
    private final List<String> header = new ArrayList<>();
    private final List<Measurement> measurements = new ArrayList<>();

    public Report() {
        this("Stevedore benchmarks");
    }

    public Report(String title) {
        this.title = requireText(title, "title");
    }

    public String title() {
        return title;
    }

    /** Adds a line describing the machine or run (CPU, memory, PostgreSQL, command); splits multi-line text. */
    public Report header(String line) {
        header.addAll(List.of(line.split("\\R", -1)));
        return this;
    }

    public List<String> headerLines() {
        return List.copyOf(header);
    }

    /** Rejects a second measurement of the same section, subject and metric, so {@link #find} is unambiguous. */
    public Report add(Measurement measurement) {
        if (find(measurement.section(), measurement.subject(), measurement.metric()).isPresent()) {
            throw new IllegalArgumentException("already measured: " + measurement.section() + " / "
                    + measurement.subject() + " / " + measurement.metric());
        }
        measurements.add(measurement);
        return this;
    }

    public List<Measurement> measurements() {
        return List.copyOf(measurements);
    }

    /** Section names in the order their first measurement was added. */
    public List<String> sections() {
        Set<String> sections = new LinkedHashSet<>();
        for (Measurement measurement : measurements) {
            sections.add(measurement.section());
        }
        return List.copyOf(sections);
    }

    public List<Measurement> section(String section) {
        return measurements.stream().filter(m -> m.section().equals(section)).toList();
    }

    public Optional<Measurement> find(String section, String subject, String metric) {
        return measurements.stream()
                .filter(m -> m.section().equals(section) && m.subject().equals(subject) && m.metric().equals(metric))
                .findFirst();
    }

    /**
     * samples(A)[i] / samples(B)[i] for every round i. Both systems ran round i against the same server state, so
     * drift between rounds (autovacuum, page cache, thermal) cancels out, which a ratio of medians would not do.
     * A zero sample of B gives an infinite or NaN ratio rather than an exception.
     *
     * @throws IllegalArgumentException if either measurement is missing or they ran different numbers of rounds
     */
    public List<Double> roundRatios(String section, String subjectA, String subjectB, String metric) {
        Measurement a = require(section, subjectA, metric);
        Measurement b = require(section, subjectB, metric);
        if (a.rounds() != b.rounds()) {
            throw new IllegalArgumentException(section + " / " + metric + ": " + subjectA + " has " + a.rounds()
                    + " rounds, " + subjectB + " has " + b.rounds() + "; ratios pair samples of the same round");
        }
        List<Double> ratios = new ArrayList<>(a.rounds());
        for (int round = 0; round < a.rounds(); round++) {
            ratios.add(a.samples().get(round) / b.samples().get(round));
        }
        return ratios;
    }

    /** The median of {@link #roundRatios}: "A is x times B", robust to one odd round. */
    public double medianRatio(String section, String subjectA, String subjectB, String metric) {
        return Measurement.medianOf(roundRatios(section, subjectA, subjectB, metric));
    }

    private Measurement require(String section, String subject, String metric) {
        return find(section, subject, metric).orElseThrow(() -> new IllegalArgumentException(
                "not measured: " + section + " / " + subject + " / " + metric));
    }

    // ---- number formats, shared with Charts ------------------------------------------------------------------------

    /**
     * Formats a value for display, choosing the format from the metric: rates ("jobs/s", any "/s") as whole numbers
     * with thousands separators; milliseconds (the word "ms") with 2 decimals below 100; seconds ("s", "… s") with 2
     * decimals; "MB" with 1 decimal; anything else with 3 significant digits.
     */
    public static String format(String metric, double value) {
        String m = metric.trim();
        if (m.contains("/s")) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        // A word match, so that e.g. "items" is not taken for milliseconds.
        if (MILLIS_WORD.matcher(m).find()) {
            return Math.abs(value) < 100
                    ? String.format(Locale.ROOT, "%.2f", value)
                    : String.format(Locale.ROOT, "%,.0f", value);
        }
        if (m.equals("s") || m.endsWith(" s")) {
            return String.format(Locale.ROOT, "%,.2f", value);
        }
        if (m.contains("MB")) {
            return String.format(Locale.ROOT, "%,.1f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    /** "4.1% (12,000–12,500)", or "—" for a single round, which has no spread. */
    static String spread(Measurement measurement) {
        if (measurement.rounds() < 2) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.1f%% (%s–%s)", measurement.spreadPercent(),
                format(measurement.metric(), measurement.min()), format(measurement.metric(), measurement.max()));
    }

    // ---- renderings ------------------------------------------------------------------------------------------------

    private static final String[] COLUMNS = {"subject", "metric", "median", "spread (min–max)", "n"};
    private static final boolean[] RIGHT_ALIGNED = {false, false, true, false, true};

    private static String[] row(Measurement m) {
        return new String[] {m.subject(), m.metric(), format(m.metric(), m.median()), spread(m),
                Integer.toString(m.rounds())};
    }

    /** Fixed-width tables for the terminal, one per section, with the header lines above. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        out.append(title).append('\n').append("=".repeat(title.length())).append('\n');
        for (String line : header) {
            out.append(line).append('\n');
        }
        for (String section : sections()) {
            List<Measurement> rows = section(section);
            out.append('\n').append(section).append('\n').append("-".repeat(section.length())).append('\n');

            List<String[]> table = new ArrayList<>();
            table.add(COLUMNS);
            rows.forEach(m -> table.add(row(m)));
            int[] widths = new int[COLUMNS.length];
            for (String[] cells : table) {
                for (int c = 0; c < cells.length; c++) {
                    widths[c] = Math.max(widths[c], cells[c].length());
                }
            }
            for (int r = 0; r < table.size(); r++) {
                appendTextRow(out, table.get(r), widths);
                if (r == 0) {
                    String[] rule = new String[widths.length];
                    for (int c = 0; c < widths.length; c++) {
                        rule[c] = "-".repeat(widths[c]);
                    }
                    appendTextRow(out, rule, widths);
                }
            }
            for (String note : notes(rows)) {
                out.append("  * ").append(note).append('\n');
            }
        }
        return out.toString();
    }

    private static void appendTextRow(StringBuilder out, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder("  ");
        for (int c = 0; c < cells.length; c++) {
            String padding = " ".repeat(widths[c] - cells[c].length());
            line.append(RIGHT_ALIGNED[c] ? padding + cells[c] : cells[c] + padding);
            if (c < cells.length - 1) {
                line.append("  ");
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /** GitHub-flavoured markdown: the header lines as a bullet list, then a table per section with its notes. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("# ").append(markdown(title)).append("\n\n");
        for (String line : header) {
            out.append("- ").append(markdown(line)).append('\n');
        }
        if (!header.isEmpty()) {
            out.append('\n');
        }
        for (String section : sections()) {
            List<Measurement> rows = section(section);
            out.append("## ").append(markdown(section)).append("\n\n");
            out.append("| Subject | Metric | Median | Spread (min–max) | Rounds |\n");
            out.append("|:--|:--|--:|:--|--:|\n");
            for (Measurement m : rows) {
                out.append('|');
                for (String cell : row(m)) {
                    out.append(' ').append(markdown(cell)).append(" |");
                }
                out.append('\n');
            }
            out.append('\n');
            for (String note : notes(rows)) {
                out.append('*').append(markdown(note)).append("*\n\n");
            }
        }
        return out.toString().stripTrailing() + "\n";
    }

    /** One line per measurement: section, subject, metric, then every sample, for spreadsheets and later analysis. */
    public String toTsv() {
        int rounds = measurements.stream().mapToInt(Measurement::rounds).max().orElse(0);
        StringBuilder out = new StringBuilder("section\tsubject\tmetric");
        for (int round = 1; round <= rounds; round++) {
            out.append("\tround ").append(round);
        }
        out.append('\n');
        for (Measurement m : measurements) {
            out.append(tsv(m.section())).append('\t').append(tsv(m.subject())).append('\t').append(tsv(m.metric()));
            for (double sample : m.samples()) {
                // Plain digits, full precision: "12345.6" rather than "1.23456E4".
                out.append('\t').append(BigDecimal.valueOf(sample).stripTrailingZeros().toPlainString());
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** Writes results.md, results.txt and results.tsv into {@code dir}, creating it. */
    public void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.md"), toMarkdown(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("results.txt"), toText(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("results.tsv"), toTsv(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return toText();
    }

    /** "Subject: note", once per distinct pair, since one note is often attached to each of a subject's metrics. */
    private static List<String> notes(List<Measurement> rows) {
        Set<String> notes = new LinkedHashSet<>();
        for (Measurement m : rows) {
            if (m.note() != null && !m.note().isBlank()) {
                notes.add(m.subject() + ": " + m.note().strip().replaceAll("\\s*\\R\\s*", " "));
            }
        }
        return List.copyOf(notes);
    }

    /** Escapes what would break a table cell or an italic line, and keeps each item on one line. */
    private static String markdown(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.replaceAll("\\s*\\R\\s*", " ").toCharArray()) {
            if ("\\`*_|<>[]".indexOf(ch) >= 0) {
                out.append('\\');
            }
            out.append(ch);
        }
        return out.toString();
    }

    private static String tsv(String text) {
        return text.replaceAll("[\\t\\r\\n]+", " ");
    }

    private static String requireText(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + " is blank");
        }
        return text;
    }
}
