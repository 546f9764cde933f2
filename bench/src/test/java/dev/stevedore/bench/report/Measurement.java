package dev.stevedore.bench.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One figure of the comparison, e.g. Stevedore's no-op throughput in jobs/s, with one sample per round.
 *
 * @param section the table it belongs to, e.g. "No-op throughput"
 * @param subject the system or loop measured, e.g. "Stevedore", "db-scheduler 16.12.0"
 * @param metric  the unit the samples are in, e.g. "jobs/s", "p99 ms"; it also chooses the number format
 * @param samples one value per round, in round order, at least one
 * @param note    free text printed under the section's table, or null
 */
public record Measurement(String section, String subject, String metric, List<Double> samples, String note) {

    public Measurement {
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(samples, "samples");
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples for " + subject + " / " + metric);
        }
        for (Double sample : samples) {
            // A NaN or infinite sample is a broken round; it would silently poison the median and the ratios.
            if (sample == null || !Double.isFinite(sample)) {
                throw new IllegalArgumentException("sample " + sample + " for " + subject + " / " + metric);
            }
        }
        samples = List.copyOf(samples);
    }

    public Measurement(String section, String subject, String metric, List<Double> samples) {
        this(section, subject, metric, samples, null);
    }

    /** Shorthand: {@code Measurement.of("No-op throughput", "Stevedore", "jobs/s", 11800, 12345, 12500)}. */
    public static Measurement of(String section, String subject, String metric, double... samples) {
        List<Double> boxed = new ArrayList<>(samples.length);
        for (double sample : samples) {
            boxed.add(sample);
        }
        return new Measurement(section, subject, metric, boxed, null);
    }

    public Measurement withNote(String note) {
        return new Measurement(section, subject, metric, samples, note);
    }

    public int rounds() {
        return samples.size();
    }

    /** The middle sample; with an even count, the mean of the two middle ones. */
    public double median() {
        return medianOf(samples);
    }

    public double min() {
        return Collections.min(samples);
    }

    public double max() {
        return Collections.max(samples);
    }

    /** (max - min) / median, in percent: how far apart the rounds were. 0 when the median is 0. */
    public double spreadPercent() {
        double median = median();
        return median == 0 ? 0 : (max() - min()) / Math.abs(median) * 100;
    }

    static double medianOf(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int size = sorted.size();
        int middle = size / 2;
        return size % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
