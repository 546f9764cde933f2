package dev.stevedore.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportTest {

    private static final String THROUGHPUT = "No-op throughput";
    private static final String LATENCY = "Enqueue-to-start latency";
    private static final String DB_SCHEDULER = "db-scheduler 16.12.0";
    private static final String JOBRUNR = "JobRunr 8.7.0";

    private static Report sampleReport() {
        return new Report("Test run")
                .header("CPU: 2 cores, test machine")
                .header("PostgreSQL 16.4, shared_buffers=1GB")
                .add(Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 12000, 12345.4, 13000)
                        .withNote("64 threads, LISTEN/NOTIFY"))
                .add(Measurement.of(THROUGHPUT, DB_SCHEDULER, "jobs/s", 3000, 3100, 2900))
                .add(Measurement.of(THROUGHPUT, JOBRUNR, "jobs/s", 1500, 1600, 1450))
                .add(Measurement.of(LATENCY, "Stevedore", "p99 ms", 4.5, 3.254, 5))
                .add(Measurement.of(LATENCY, JOBRUNR, "p99 ms", 1234.4, 1500, 1100));
    }

    @Test
    void medianMinMaxAndSpreadOfKnownSamples() {
        Measurement m = Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 10, 1, 2);

        assertThat(m.median()).isEqualTo(2);
        assertThat(m.min()).isEqualTo(1);
        assertThat(m.max()).isEqualTo(10);
        assertThat(m.spreadPercent()).isEqualTo(450);
        assertThat(m.samples()).containsExactly(10.0, 1.0, 2.0);
        assertThat(Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 1, 2, 3, 10).median()).isEqualTo(2.5);
        assertThat(Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 0, 0, 0).spreadPercent()).isZero();
    }

    @Test
    void rejectsMissingOrBrokenSamples() {
        assertThatThrownBy(() -> Measurement.of(THROUGHPUT, "Stevedore", "jobs/s"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 1, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        Report report = sampleReport();
        assertThatThrownBy(() -> report.add(Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ratiosPairSamplesOfTheSameRound() {
        Report report = new Report()
                .add(Measurement.of(THROUGHPUT, "Stevedore", "jobs/s", 100, 200, 300))
                .add(Measurement.of(THROUGHPUT, DB_SCHEDULER, "jobs/s", 50, 50, 300))
                .add(Measurement.of(THROUGHPUT, JOBRUNR, "jobs/s", 50, 50));

        assertThat(report.roundRatios(THROUGHPUT, "Stevedore", DB_SCHEDULER, "jobs/s")).containsExactly(2.0, 4.0, 1.0);
        // The ratio of the medians would say 4.
        assertThat(report.medianRatio(THROUGHPUT, "Stevedore", DB_SCHEDULER, "jobs/s")).isEqualTo(2.0);
        assertThatThrownBy(() -> report.roundRatios(THROUGHPUT, "Stevedore", JOBRUNR, "jobs/s"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> report.medianRatio(THROUGHPUT, "Stevedore", "Quartz", "jobs/s"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsAndGroupsInInsertionOrder() {
        Report report = sampleReport();

        assertThat(report.find(LATENCY, JOBRUNR, "p99 ms")).get().extracting(Measurement::median).isEqualTo(1234.4);
        assertThat(report.find(LATENCY, DB_SCHEDULER, "p99 ms")).isEmpty();
        assertThat(report.sections()).containsExactly(THROUGHPUT, LATENCY);
        assertThat(report.section(THROUGHPUT)).extracting(Measurement::subject)
                .containsExactly("Stevedore", DB_SCHEDULER, JOBRUNR);
    }

    @Test
    void formatsByMetric() {
        assertThat(Report.format("jobs/s", 12345.4)).isEqualTo("12,345");
        assertThat(Report.format("enqueues/s", 999.5)).isEqualTo("1,000");
        assertThat(Report.format("p99 ms", 3.254)).isEqualTo("3.25");
        assertThat(Report.format("p99 ms", 1234.4)).isEqualTo("1,234");
        assertThat(Report.format("s", 2.5)).isEqualTo("2.50");
        assertThat(Report.format("drain s", 61.234)).isEqualTo("61.23");
        assertThat(Report.format("RSS MB", 512.26)).isEqualTo("512.3");
        assertThat(Report.format("ratio", 3.98217)).isEqualTo("3.98");
        assertThat(Report.format("items", 3.98217)).isEqualTo("3.98");
    }

    @Test
    void textTableAlignsTheFormattedNumbers() {
        String text = sampleReport().toText();

        assertThat(text).contains("CPU: 2 cores, test machine", THROUGHPUT, LATENCY, "12,345", "3,100", "3.25",
                "1,234", "8.1% (12,000–13,000)", "Stevedore: 64 threads, LISTEN/NOTIFY");
        List<String> rateRows = text.lines().filter(line -> line.contains(" jobs/s ")).toList();
        assertThat(rateRows).hasSize(3);
        // Right-aligned medians end in the same column.
        assertThat(rateRows.get(0).indexOf("12,345") + "12,345".length())
                .isEqualTo(rateRows.get(1).indexOf("3,000") + "3,000".length());
    }

    @Test
    void markdownHasHeaderBulletsTablesAndNotes() {
        String markdown = sampleReport().toMarkdown();

        assertThat(markdown).contains("- CPU: 2 cores, test machine", "## " + THROUGHPUT, "## " + LATENCY,
                "| Stevedore | jobs/s | 12,345 | 8.1% (12,000–13,000) | 3 |", "| JobRunr 8.7.0 | p99 ms | 1,234 |",
                "*Stevedore: 64 threads, LISTEN/NOTIFY*");
        assertThat(markdown.lines().filter(line -> line.startsWith("|:--")).count()).isEqualTo(2);
    }

    @Test
    void writesTheThreeFiles(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench/run");
        sampleReport().writeTo(out);

        assertThat(Files.readString(out.resolve("results.md"))).contains("12,345");
        assertThat(Files.readString(out.resolve("results.txt"))).contains("12,345");
        List<String> tsv = Files.readAllLines(out.resolve("results.tsv"));
        assertThat(tsv).hasSize(6);
        assertThat(tsv.get(0)).isEqualTo("section\tsubject\tmetric\tround 1\tround 2\tround 3");
        assertThat(tsv.get(1)).isEqualTo("No-op throughput\tStevedore\tjobs/s\t12000\t12345.4\t13000");
    }

    @Test
    void barChartIsWellFormedWithOneRectPerBar() throws Exception {
        List<Measurement> bars = new ArrayList<>(sampleReport().section(THROUGHPUT));
        bars.add(Measurement.of(THROUGHPUT, "pgbench <drain> & \"batch\"", "jobs/s", 20000));

        String svg = Charts.barChart("No-op throughput", "jobs/s", bars);
        Document document = parse(svg);

        assertThat(document.getDocumentElement().getTagName()).isEqualTo("svg");
        List<Element> rects = bars(document);
        assertThat(rects).hasSize(4);
        assertThat(rects).extracting(r -> r.getAttribute("data-subject"))
                .containsExactly("Stevedore", DB_SCHEDULER, JOBRUNR, "pgbench <drain> & \"batch\"");
        assertThat(rects.get(0).getAttribute("fill")).isEqualTo("#0f766e");
        assertThat(rects.get(3).getAttribute("fill")).isEqualTo("#6b7280");
        assertThat(document.getDocumentElement().getTextContent())
                .contains("Stevedore", DB_SCHEDULER, JOBRUNR, "pgbench <drain> & \"batch\"", "12,345", "20,000");
        // Linear: bar lengths are in the ratio of the medians.
        assertThat(width(rects.get(0)) / width(rects.get(1))).isCloseTo(12345.4 / 3000, within(0.02));
    }

    @Test
    void latencyChartUsesALogarithmicAxis() throws Exception {
        Map<String, double[]> percentiles = new LinkedHashMap<>();
        percentiles.put("Stevedore", new double[] {1, 10, 100});
        percentiles.put(JOBRUNR, new double[] {2.5, 40, 3000});
        String svg = Charts.groupedLatencyChart("Enqueue-to-start latency", List.of("Stevedore", JOBRUNR),
                percentiles, List.of("p50", "p95", "p99"));
        Document document = parse(svg);

        List<Element> rects = bars(document);
        assertThat(rects).hasSize(6);
        assertThat(document.getDocumentElement().getTextContent())
                .contains("Stevedore", JOBRUNR, "p50", "p95", "p99", "1.00", "10.00", "3,000", "1,000");
        double oneMs = width(rects.get(0));
        double tenMs = width(rects.get(1));
        double hundredMs = width(rects.get(2));
        assertThat(tenMs).isGreaterThan(oneMs);
        // Log scale: each decade is the same length.
        assertThat(hundredMs - tenMs).isCloseTo(tenMs - oneMs, within(0.5));
        assertThat(oneMs).isPositive();
    }

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> bars(Document document) {
        NodeList rects = document.getElementsByTagName("rect");
        List<Element> bars = new ArrayList<>();
        for (int i = 0; i < rects.getLength(); i++) {
            Element rect = (Element) rects.item(i);
            if (rect.getAttribute("class").equals("bar")) {
                bars.add(rect);
            }
        }
        return bars;
    }

    private static double width(Element rect) {
        return Double.parseDouble(rect.getAttribute("width"));
    }
}
