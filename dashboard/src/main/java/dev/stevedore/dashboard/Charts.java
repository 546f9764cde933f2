package dev.stevedore.dashboard;

import java.util.List;
import java.util.Locale;

/**
 * Charts as inline SVG, drawn on the server: no script, no library, and nothing for the page's Content-Security-Policy
 * to allow. Colours come from CSS classes ({@code series-0}, {@code series-1}, ...).
 */
final class Charts {

    /** One column of a stacked bar chart: its label (shown on hover and under the axis) and a value per series. */
    record Column(String label, List<Long> values) {

        long total() {
            return values.stream().mapToLong(Long::longValue).sum();
        }
    }

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 160;
    private static final int TOP = 14;
    private static final int BOTTOM = 18;

    private Charts() {}

    /**
     * Stacked bars, one per column, series bottom to top in the order of {@code series}; the y axis runs from 0 to the
     * tallest column. {@code title} names the chart for screen readers.
     */
    static String stackedBars(String title, List<String> series, List<Column> columns) {
        long max = Math.max(1, columns.stream().mapToLong(Column::total).max().orElse(1));
        int n = Math.max(1, columns.size());
        double slot = (double) WIDTH / n;
        double barWidth = Math.max(1, slot * 0.8);
        int plot = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\" >",
                WIDTH, HEIGHT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<line class=\"axis\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", HEIGHT - BOTTOM, WIDTH, HEIGHT - BOTTOM));
        svg.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"2\" y=\"10\">%s</text>", Format.number(max)));
        for (int i = 0; i < columns.size(); i++) {
            Column column = columns.get(i);
            double x = i * slot + (slot - barWidth) / 2;
            double base = HEIGHT - BOTTOM;
            StringBuilder hover = new StringBuilder(column.label());
            for (int s = 0; s < column.values().size(); s++) {
                long v = column.values().get(s);
                hover.append(s == 0 ? ": " : ", ").append(Format.number(v)).append(' ').append(series.get(s));
            }
            svg.append("<g><title>").append(escape(hover.toString())).append("</title>");
            // A transparent full-height target, so a hover works over empty columns too.
            svg.append(String.format(Locale.ROOT, "<rect class=\"hit\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"/>", i * slot, TOP, slot, plot));
            for (int s = 0; s < column.values().size(); s++) {
                long v = column.values().get(s);
                if (v == 0) {
                    continue;
                }
                double h = Math.max(1, (double) v / max * plot);
                base -= h;
                svg.append(String.format(Locale.ROOT, "<rect class=\"series-%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", s, x, base, barWidth, h));
            }
            svg.append("</g>");
        }
        if (!columns.isEmpty()) {
            svg.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"2\" y=\"%d\">%s</text>", HEIGHT - 4, escape(columns.get(0).label())));
            svg.append(String.format(Locale.ROOT, "<text class=\"tick end\" x=\"%d\" y=\"%d\">%s</text>", WIDTH - 2, HEIGHT - 4,
                    escape(columns.get(columns.size() - 1).label())));
        }
        return svg.append("</svg>").toString();
    }

    /** The key to a chart's series, coloured as its bars. */
    static String legend(List<String> series) {
        StringBuilder html = new StringBuilder("<div class=\"legend\">");
        for (int s = 0; s < series.size(); s++) {
            html.append("<span class=\"key series-").append(s).append("\"></span>").append(escape(series.get(s))).append(' ');
        }
        return html.append("</div>").toString();
    }

    /** A horizontal bar for a share of a total, as in "by reason" tables. */
    static String share(long value, long total) {
        double width = total <= 0 ? 0 : Math.max(2, 120.0 * value / total);
        return String.format(Locale.ROOT, "<svg class=\"share\" viewBox=\"0 0 120 10\" aria-hidden=\"true\"><rect class=\"series-1\" x=\"0\" y=\"0\" width=\"%.1f\" height=\"10\"/></svg>", width);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
