package dev.stevedore.bench.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hand-written SVG charts of the results, so that the README's figures need nothing beyond the JDK to regenerate.
 * Text widths are estimated (no font metrics without AWT), generously, for a sans-serif face.
 */
public final class Charts {

    static final int WIDTH = 720;

    private static final String STEVEDORE = "#0f766e";
    private static final String DB_SCHEDULER = "#1d4ed8";
    private static final String JOBRUNR = "#c2410c";
    private static final String PGBENCH = "#6b7280";
    private static final String[] FALLBACK = {"#7c3aed", "#be185d", "#15803d", "#a16207", "#0369a1"};

    private static final String INK = "#111827";
    private static final String MUTED = "#4b5563";
    private static final String GRID = "#e5e7eb";
    private static final String GRID_MINOR = "#f3f4f6";
    private static final String AXIS = "#9ca3af";

    private static final int MARGIN = 16;
    private static final int TITLE_SIZE = 16;
    private static final int LABEL_SIZE = 13;
    private static final int SMALL_SIZE = 11;

    private Charts() {
    }

    /**
     * Horizontal bars, one per measurement in the given order: bar length is the median, a thin line spans min to
     * max over the rounds, and the median is printed at the end. Linear axis from 0 with 1/2/5 x 10^k ticks.
     *
     * @param unit the axis label, e.g. "jobs/s"; each value is formatted by its own measurement's metric
     */
    public static String barChart(String title, String unit, List<Measurement> bars) {
        if (bars.isEmpty()) {
            throw new IllegalArgumentException("no bars for " + title);
        }
        Map<String, String> colours = colours(bars.stream().map(Measurement::subject).toList());

        double labelWidth = clamp(maxWidth(bars.stream().map(Measurement::subject).toList(), LABEL_SIZE), 60, 280);
        double valueWidth = maxWidth(bars.stream().map(m -> Report.format(m.metric(), m.median())).toList(), 12);
        double plotLeft = MARGIN + labelWidth + 10;
        double plotRight = WIDTH - MARGIN - valueWidth - 10;
        double plotWidth = plotRight - plotLeft;

        double barHeight = 26;
        double rowHeight = barHeight + 14;
        double plotTop = 48;
        double plotBottom = plotTop + bars.size() * rowHeight;
        double height = plotBottom + 76;

        double dataMax = 0;
        for (Measurement bar : bars) {
            dataMax = Math.max(dataMax, Math.max(bar.max(), bar.median()));
        }
        double step = niceStep(dataMax > 0 ? dataMax : 1, 5);
        // The epsilon keeps a maximum that is already a multiple of the step from growing an empty extra tick.
        double axisMax = Math.max(step, Math.ceil(dataMax / step - 1e-9) * step);
        int tickDecimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));

        Svg svg = new Svg(WIDTH, height, title);
        svg.text(MARGIN, 28, title, TITLE_SIZE, INK, "start", "font-weight=\"bold\"");

        for (int i = 0; ; i++) {
            double tick = i * step;
            if (tick > axisMax + step * 1e-9) {
                break;
            }
            double x = plotLeft + tick / axisMax * plotWidth;
            svg.line(x, plotTop, x, plotBottom, i == 0 ? AXIS : GRID, 1);
            svg.text(x, plotBottom + 16, String.format(Locale.ROOT, "%,." + tickDecimals + "f", tick), SMALL_SIZE,
                    MUTED, "middle", "");
        }
        svg.text(plotLeft + plotWidth / 2, plotBottom + 38, unit, 12, MUTED, "middle", "");

        for (int i = 0; i < bars.size(); i++) {
            Measurement bar = bars.get(i);
            String colour = colours.get(bar.subject());
            double top = plotTop + 7 + i * rowHeight;
            double middle = top + barHeight / 2;
            double medianX = plotLeft + Math.max(0, bar.median()) / axisMax * plotWidth;
            double minX = plotLeft + Math.max(0, bar.min()) / axisMax * plotWidth;
            double maxX = plotLeft + Math.max(0, bar.max()) / axisMax * plotWidth;
            String median = Report.format(bar.metric(), bar.median());

            svg.text(plotLeft - 10, middle + 4.5, fit(bar.subject(), labelWidth, LABEL_SIZE), LABEL_SIZE, INK, "end",
                    "");
            svg.bar(plotLeft, top, medianX - plotLeft, barHeight, colour, 1, bar.subject(), bar.metric(),
                    bar.median(), bar.subject() + ": median " + median + " " + bar.metric() + ", min "
                            + Report.format(bar.metric(), bar.min()) + ", max "
                            + Report.format(bar.metric(), bar.max()) + " over " + bar.rounds() + " rounds");
            if (bar.rounds() > 1 && maxX > minX) {
                svg.line(minX, middle, maxX, middle, INK, 1.25);
                svg.line(minX, middle - 5, minX, middle + 5, INK, 1.25);
                svg.line(maxX, middle - 5, maxX, middle + 5, INK, 1.25);
            }
            // After the whisker's end rather than the bar's, so the line never runs through the digits.
            svg.text(Math.max(medianX, maxX) + 6, middle + 4.5, median, 12, INK, "start", "font-weight=\"bold\"");
        }

        svg.text(MARGIN, height - 12, footnote(bars), SMALL_SIZE, MUTED, "start", "");
        return svg.finish();
    }

    private static String footnote(List<Measurement> bars) {
        int rounds = bars.get(0).rounds();
        if (bars.stream().anyMatch(m -> m.rounds() != rounds)) {
            return "Bar: median over the rounds; line: lowest to highest round.";
        }
        return rounds == 1
                ? "Bar: a single round."
                : "Bar: median of " + rounds + " rounds; line: lowest to highest round.";
    }

    /**
     * Latency percentiles side by side: for each subject a group of horizontal bars, one per percentile, shaded
     * from light (lowest percentile) to full colour (highest), on a logarithmic millisecond axis whose decades
     * cover the data, because p99 is often a hundred times p50 and a linear axis would flatten the small bars.
     *
     * @param percentilesBySubject for each subject, its values in milliseconds, in the order of
     *                             {@code percentileNames}; NaN where not measured
     * @param percentileNames      e.g. "p50", "p95", "p99"
     */
    public static String groupedLatencyChart(String title, List<String> subjects,
            Map<String, double[]> percentilesBySubject, List<String> percentileNames) {
        if (subjects.isEmpty() || percentileNames.isEmpty()) {
            throw new IllegalArgumentException("nothing to chart for " + title);
        }
        double minPositive = Double.POSITIVE_INFINITY;
        double maxPositive = 0;
        for (String subject : subjects) {
            double[] values = percentilesBySubject.get(subject);
            if (values == null || values.length != percentileNames.size()) {
                throw new IllegalArgumentException(subject + ": expected " + percentileNames.size()
                        + " values for " + percentileNames);
            }
            for (double value : values) {
                if (value > 0 && Double.isFinite(value)) {
                    minPositive = Math.min(minPositive, value);
                    maxPositive = Math.max(maxPositive, value);
                }
            }
        }
        if (maxPositive == 0) {
            minPositive = 2;
            maxPositive = 10;
        }
        // The axis starts at least a factor of two below the smallest value, so the shortest bar is still visible.
        int lowDecade = (int) Math.floor(Math.log10(minPositive / 2));
        int highDecade = Math.max(lowDecade + 1, (int) Math.ceil(Math.log10(maxPositive) - 1e-9));

        Map<String, String> colours = colours(subjects);
        int shades = percentileNames.size();
        // Subject names go above their group rather than beside it, so long ones leave the axis its width.
        double seriesWidth = maxWidth(percentileNames, SMALL_SIZE);
        double plotLeft = MARGIN + seriesWidth + 8;
        double plotRight = WIDTH - MARGIN - 56;
        double plotWidth = plotRight - plotLeft;

        double barHeight = 16;
        double barGap = 3;
        double groupGap = 14;
        double groupLabelHeight = 20;
        double groupHeight = groupLabelHeight + shades * barHeight + (shades - 1) * barGap;
        double plotTop = 70;
        double plotBottom = plotTop + subjects.size() * (groupHeight + groupGap) + groupGap / 2;
        double height = plotBottom + 52;

        Svg svg = new Svg(WIDTH, height, title);
        svg.text(MARGIN, 28, title, TITLE_SIZE, INK, "start", "font-weight=\"bold\"");

        // Legend: the shades on a neutral grey, since every subject uses its own hue at the same opacities.
        double legendX = MARGIN;
        for (int s = 0; s < shades; s++) {
            svg.rect(legendX, 43, 12, 12, "#374151", opacity(s, shades), "#374151");
            svg.text(legendX + 17, 53, percentileNames.get(s), 12, INK, "start", "");
            legendX += 17 + textWidth(percentileNames.get(s), 12) + 16;
        }
        svg.text(legendX + 4, 53, "(shade of each system's colour)", SMALL_SIZE, MUTED, "start", "");

        double decades = highDecade - lowDecade;
        for (int decade = lowDecade; decade <= highDecade; decade++) {
            double x = plotLeft + (decade - lowDecade) / decades * plotWidth;
            if (decade < highDecade) {
                for (int minor = 2; minor <= 9; minor++) {
                    double minorX = x + Math.log10(minor) / decades * plotWidth;
                    svg.line(minorX, plotTop, minorX, plotBottom, GRID_MINOR, 1);
                }
            }
            svg.line(x, plotTop, x, plotBottom, decade == lowDecade ? AXIS : "#d1d5db", 1);
            svg.text(x, plotBottom + 16, decadeLabel(decade), SMALL_SIZE, MUTED, "middle", "");
        }
        svg.text(plotLeft + plotWidth / 2, plotBottom + 38, "milliseconds (log scale)", 12, MUTED, "middle", "");

        for (int g = 0; g < subjects.size(); g++) {
            String subject = subjects.get(g);
            String colour = colours.get(subject);
            double groupTop = plotTop + groupGap / 2 + g * (groupHeight + groupGap);
            svg.text(MARGIN, groupTop + 13, fit(subject, WIDTH - 2 * MARGIN, LABEL_SIZE), LABEL_SIZE, INK, "start",
                    "font-weight=\"bold\"");
            double[] values = percentilesBySubject.get(subject);
            for (int s = 0; s < shades; s++) {
                double top = groupTop + groupLabelHeight + s * (barHeight + barGap);
                double middle = top + barHeight / 2;
                double value = values[s];
                String name = percentileNames.get(s);
                svg.text(plotLeft - 6, middle + 4, name, SMALL_SIZE, MUTED, "end", "");
                if (!Double.isFinite(value)) {
                    svg.text(plotLeft + 6, middle + 4, "n/a", SMALL_SIZE, MUTED, "start", "");
                    continue;
                }
                double length = value > 0
                        ? Math.max(0, (Math.log10(value) - lowDecade) / decades * plotWidth)
                        : 0;
                String label = Report.format("ms", value);
                svg.bar(plotLeft, top, length, barHeight, colour, opacity(s, shades), subject, name, value,
                        subject + " " + name + ": " + label + " ms");
                svg.text(plotLeft + length + 5, middle + 4, label, SMALL_SIZE, INK, "start", "");
            }
        }
        return svg.finish();
    }

    /** Writes the SVG as UTF-8, creating the parent directories. */
    public static void write(Path file, String svg) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, svg, StandardCharsets.UTF_8);
    }

    /** The house colour of a known system (matched by name, any version suffix), or null. */
    static String knownColour(String subject) {
        String name = subject.toLowerCase(Locale.ROOT);
        // pgbench first: its labels may mention the system whose SQL it replays.
        if (name.contains("pgbench")) {
            return PGBENCH;
        }
        if (name.contains("db-scheduler")) {
            return DB_SCHEDULER;
        }
        if (name.contains("jobrunr")) {
            return JOBRUNR;
        }
        if (name.contains("stevedore")) {
            return STEVEDORE;
        }
        return null;
    }

    private static Map<String, String> colours(List<String> subjects) {
        Map<String, String> colours = new HashMap<>();
        int fallback = 0;
        for (String subject : subjects) {
            if (!colours.containsKey(subject)) {
                String known = knownColour(subject);
                colours.put(subject, known != null ? known : FALLBACK[fallback++ % FALLBACK.length]);
            }
        }
        return colours;
    }

    private static double opacity(int shade, int shades) {
        return shades == 1 ? 1 : 0.4 + 0.6 * shade / (shades - 1);
    }

    static double niceStep(double max, int targetTicks) {
        double raw = max / targetTicks;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double normalised = raw / magnitude;
        double nice = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    private static String decadeLabel(int decade) {
        return decade >= 0
                ? String.format(Locale.ROOT, "%,d", BigDecimal.TEN.pow(decade).longValueExact())
                : BigDecimal.ONE.movePointLeft(-decade).toPlainString();
    }

    /** Roughly the advance of sans-serif text: 0.6 em a character, on the wide side so labels do not collide. */
    private static double textWidth(String text, int size) {
        return text.codePointCount(0, text.length()) * size * 0.6;
    }

    private static double maxWidth(List<String> texts, int size) {
        return texts.stream().mapToDouble(t -> textWidth(t, size)).max().orElse(0);
    }

    /** Shortens a label with an ellipsis when it would not fit; the bar's tooltip keeps the full name. */
    private static String fit(String text, double width, int size) {
        if (textWidth(text, size) <= width) {
            return text;
        }
        int chars = Math.max(1, (int) (width / (size * 0.6)) - 1);
        return text.substring(0, Math.min(text.length(), chars)).stripTrailing() + "…";
    }

    private static double clamp(double value, double min, double max) {
        return Math.max(min, Math.min(max, value));
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> {
                    // Control characters other than tab and newlines are not allowed anywhere in XML 1.0.
                    if (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r') {
                        out.append(ch);
                    }
                }
            }
        }
        return out.toString();
    }

    /** The few SVG elements the charts use, with coordinates rounded to 0.1 px to keep the files small. */
    private static final class Svg {

        private final StringBuilder out = new StringBuilder();

        Svg(double width, double height, String title) {
            out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(num(width))
                    .append("\" height=\"").append(num(height)).append("\" viewBox=\"0 0 ").append(num(width))
                    .append(' ').append(num(height)).append("\" font-family=\"sans-serif\" role=\"img\">\n");
            out.append("  <title>").append(escape(title)).append("</title>\n");
            out.append("  <rect x=\"0\" y=\"0\" width=\"").append(num(width)).append("\" height=\"")
                    .append(num(height)).append("\" fill=\"#ffffff\"/>\n");
        }

        void line(double x1, double y1, double x2, double y2, String stroke, double width) {
            out.append("  <line x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1)).append("\" x2=\"")
                    .append(num(x2)).append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(stroke)
                    .append("\" stroke-width=\"").append(num(width)).append("\"/>\n");
        }

        void rect(double x, double y, double width, double height, String fill, double opacity, String stroke) {
            out.append("  <rect x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" width=\"")
                    .append(num(width)).append("\" height=\"").append(num(height)).append("\" fill=\"").append(fill)
                    .append("\" fill-opacity=\"").append(num(opacity)).append("\" stroke=\"").append(stroke)
                    .append("\"/>\n");
        }

        /** A data bar: class and data attributes let tests and scripts find it, the title is a hover tooltip. */
        void bar(double x, double y, double width, double height, String colour, double opacity, String subject,
                String series, double value, String tooltip) {
            out.append("  <rect class=\"bar\" x=\"").append(num(x)).append("\" y=\"").append(num(y))
                    .append("\" width=\"").append(num(width)).append("\" height=\"").append(num(height))
                    .append("\" fill=\"").append(colour).append("\" fill-opacity=\"").append(num(opacity))
                    .append("\" stroke=\"").append(colour).append("\" stroke-width=\"1\" data-subject=\"")
                    .append(escape(subject)).append("\" data-series=\"").append(escape(series))
                    .append("\" data-value=\"").append(BigDecimal.valueOf(value).toPlainString()).append("\">")
                    .append("<title>").append(escape(tooltip)).append("</title></rect>\n");
        }

        void text(double x, double y, String text, int size, String fill, String anchor, String extra) {
            out.append("  <text x=\"").append(num(x)).append("\" y=\"").append(num(y)).append("\" font-size=\"")
                    .append(size).append("\" fill=\"").append(fill).append("\" text-anchor=\"").append(anchor)
                    .append('"').append(extra.isEmpty() ? "" : " " + extra).append('>').append(escape(text))
                    .append("</text>\n");
        }

        String finish() {
            return out.append("</svg>\n").toString();
        }

        private static String num(double value) {
            String text = String.format(Locale.ROOT, "%.1f", value);
            return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
        }
    }
}
