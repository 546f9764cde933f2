package dev.stevedore.queue;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A cron schedule: {@code minute hour day-of-month month day-of-week}, as in Vixie cron.
 *
 * <p>Each field is {@code *}, a number, a range {@code a-b}, a step {@code *}{@code /n}, {@code a-b/n} or
 * {@code a/n} (from {@code a} to the end of the field), or a comma list of those. Months may be written
 * {@code JAN}-{@code DEC} and days of the week {@code SUN}-{@code SAT}; day of week 0 and 7 are both Sunday.
 * When both day of month and day of week are restricted (neither starts with {@code *}), a day matches if
 * either does, so {@code 0 0 13 * FRI} fires on every 13th and on every Friday.
 *
 * <p>The shorthands {@code @yearly}, {@code @annually}, {@code @monthly}, {@code @weekly}, {@code @daily},
 * {@code @midnight} and {@code @hourly} are accepted. As an extension, a sixth field in front gives the
 * second, for schedules more frequent than once a minute: {@code *}{@code /10 * * * * *}.
 */
public final class CronExpression {

    private static final String FORMS = "5 fields (minute hour day-of-month month day-of-week), "
            + "6 with seconds first, or a shorthand such as @hourly";

    private static final Map<String, String> SHORTHANDS = new LinkedHashMap<>();

    static {
        SHORTHANDS.put("@yearly", "0 0 1 1 *");
        SHORTHANDS.put("@annually", "0 0 1 1 *");
        SHORTHANDS.put("@monthly", "0 0 1 * *");
        SHORTHANDS.put("@weekly", "0 0 * * 0");
        SHORTHANDS.put("@daily", "0 0 * * *");
        SHORTHANDS.put("@midnight", "0 0 * * *");
        SHORTHANDS.put("@hourly", "0 * * * *");
    }

    private static final Field SECOND = new Field("second", 0, 59, 59, List.of());
    private static final Field MINUTE = new Field("minute", 0, 59, 59, List.of());
    private static final Field HOUR = new Field("hour", 0, 23, 23, List.of());
    private static final Field DAY_OF_MONTH = new Field("day of month", 1, 31, 31, List.of());
    private static final Field MONTH = new Field("month", 1, 12, 12,
            List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"));
    // 7 is only another name for Sunday: '*' and 'a/n' stop at Saturday, so 1/2 means MON,WED,FRI.
    private static final Field DAY_OF_WEEK = new Field("day of week", 0, 7, 6,
            List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"));

    // Every date falls on every weekday within one 400-year Gregorian cycle, so this bound never cuts off a
    // schedule that can fire (February 29th on a Monday can be 40 years away).
    private static final int SEARCH_YEARS = 400;

    private final String expression;
    private final long seconds;
    private final long minutes;
    private final long hours;
    private final long daysOfMonth;
    private final long months;
    private final long daysOfWeek;
    private final boolean eitherDay;

    private CronExpression(String expression, String[] parts) {
        this.expression = expression;
        int i = parts.length - 5;
        this.seconds = i == 1 ? parseField(expression, SECOND, parts[0]) : 1L;
        this.minutes = parseField(expression, MINUTE, parts[i]);
        this.hours = parseField(expression, HOUR, parts[i + 1]);
        this.daysOfMonth = parseField(expression, DAY_OF_MONTH, parts[i + 2]);
        this.months = parseField(expression, MONTH, parts[i + 3]);
        long dow = parseField(expression, DAY_OF_WEEK, parts[i + 4]);
        this.daysOfWeek = (dow & 1L << 7) != 0 ? (dow | 1L) & ~(1L << 7) : dow;
        this.eitherDay = !parts[i + 2].startsWith("*") && !parts[i + 4].startsWith("*");
        if (!eitherDay && !someMonthHasDay()) {
            // Any existing date recurs on every weekday, so only a day of month no allowed month has can starve it.
            throw fail(expression, "never fires: none of its months has any of its days of month (e.g. February 30th)");
        }
    }

    /** Parses a 5-field or 6-field (seconds first) expression or a shorthand; the message of the exception says what is wrong. */
    public static CronExpression parse(String expression) {
        if (expression == null) {
            throw new IllegalArgumentException("cron expression is null; expected " + FORMS);
        }
        String text = expression.trim();
        if (text.isEmpty()) {
            throw fail(expression, "expression is blank; expected " + FORMS);
        }
        String spec = text;
        if (text.startsWith("@")) {
            spec = SHORTHANDS.get(text.toLowerCase(Locale.ROOT));
            if (spec == null) {
                throw fail(text, "unknown shorthand; use one of " + String.join(", ", SHORTHANDS.keySet()));
            }
        }
        String[] parts = spec.split("\\s+");
        if (parts.length != 5 && parts.length != 6) {
            throw fail(text, "expected " + FORMS + "; got " + parts.length);
        }
        return new CronExpression(text, parts);
    }

    /**
     * The first firing strictly after {@code after}, with the fields read as local time in {@code zone}. A local
     * time skipped by a spring-forward gap fires at the shifted instant (02:30 becomes 03:30); a local time repeated
     * by a fall-back overlap fires once, at the earlier offset.
     */
    public Instant nextAfter(Instant after, ZoneId zone) {
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(zone, "zone");
        LocalDateTime t = LocalDateTime.ofInstant(after, zone).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        LocalDateTime limit = t.plusYears(SEARCH_YEARS);
        // Each step jumps to the start of the next possible month, day, hour, minute or second, so a yearly
        // schedule takes a few dozen steps rather than a walk over every minute.
        while (t.isBefore(limit)) {
            LocalDate date = t.toLocalDate();
            if (!has(months, t.getMonthValue())) {
                t = date.withDayOfMonth(1).plusMonths(1).atStartOfDay();
                continue;
            }
            if (!dayMatches(date)) {
                t = date.plusDays(1).atStartOfDay();
                continue;
            }
            int hour = next(hours, t.getHour());
            if (hour != t.getHour()) {
                t = hour < 0 ? date.plusDays(1).atStartOfDay() : date.atTime(hour, 0);
                continue;
            }
            int minute = next(minutes, t.getMinute());
            if (minute != t.getMinute()) {
                LocalDateTime hourStart = t.truncatedTo(ChronoUnit.HOURS);
                t = minute < 0 ? hourStart.plusHours(1) : hourStart.withMinute(minute);
                continue;
            }
            int second = next(seconds, t.getSecond());
            if (second != t.getSecond()) {
                t = second < 0 ? t.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1) : t.withSecond(second);
                continue;
            }
            Instant candidate = ZonedDateTime.of(t, zone).toInstant();
            if (candidate.isAfter(after)) {
                return candidate;
            }
            // Only in a fall-back overlap: this local time already fired (or would have) at the earlier offset.
            t = t.plusSeconds(1);
        }
        throw new IllegalStateException("cron \"" + expression + "\" does not fire within " + SEARCH_YEARS
                + " years after " + after + " in " + zone);
    }

    /** The expression as given, trimmed. */
    public String expression() {
        return expression;
    }

    @Override
    public String toString() {
        return expression;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronExpression other && expression.equals(other.expression);
    }

    @Override
    public int hashCode() {
        return expression.hashCode();
    }

    private boolean dayMatches(LocalDate date) {
        boolean dom = has(daysOfMonth, date.getDayOfMonth());
        boolean dow = has(daysOfWeek, date.getDayOfWeek().getValue() % 7);
        return eitherDay ? dom || dow : dom && dow;
    }

    private boolean someMonthHasDay() {
        int firstDay = next(daysOfMonth, 1);
        for (int m = 1; m <= 12; m++) {
            if (has(months, m) && firstDay <= Month.of(m).maxLength()) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(long mask, int value) {
        return (mask & 1L << value) != 0;
    }

    /** The smallest value in the mask that is at least {@code from}, or -1. */
    private static int next(long mask, int from) {
        long rest = mask & (-1L << from);
        return rest == 0 ? -1 : Long.numberOfTrailingZeros(rest);
    }

    private static long parseField(String expression, Field field, String text) {
        long mask = 0;
        for (String element : text.split(",", -1)) {
            if (element.isEmpty()) {
                throw fail(expression, field.name + " has an empty element in list \"" + text + "\"");
            }
            String[] stepParts = element.split("/", -1);
            if (stepParts.length > 2) {
                throw fail(expression, field.name + " \"" + element + "\" has more than one '/'; " + field.allowed());
            }
            String range = stepParts[0];
            boolean stepped = stepParts.length == 2;
            int step = stepped ? parseStep(expression, field, element, stepParts[1]) : 1;
            int low;
            int high;
            if (range.equals("*")) {
                low = field.min;
                high = field.last;
            } else {
                int dash = range.indexOf('-');
                if (dash < 0) {
                    low = value(expression, field, range, element);
                    high = stepped ? Math.max(field.last, low) : low;
                } else {
                    low = value(expression, field, range.substring(0, dash), element);
                    high = value(expression, field, range.substring(dash + 1), element);
                    if (low > high) {
                        throw fail(expression, field.name + " range " + range + " is reversed; write it low-high within "
                                + field.min + "-" + field.max);
                    }
                }
            }
            for (int v = low; v <= high; v += step) {
                mask |= 1L << v;
            }
        }
        return mask;
    }

    private static int parseStep(String expression, Field field, String element, String step) {
        if (!step.matches("\\d{1,9}") || Integer.parseInt(step) == 0) {
            throw fail(expression, field.name + " step in \"" + element + "\" must be a whole number of 1 or more");
        }
        return Integer.parseInt(step);
    }

    private static int value(String expression, Field field, String token, String element) {
        int index = field.names.indexOf(token.toUpperCase(Locale.ROOT));
        if (index >= 0) {
            return field.min + index;
        }
        if (!token.matches("\\d{1,9}")) {
            String where = token.equals(element) ? "" : " in \"" + element + "\"";
            throw fail(expression, field.name + " \"" + token + "\"" + where + " is not a number; " + field.allowed());
        }
        int v = Integer.parseInt(token);
        if (v < field.min || v > field.max) {
            throw fail(expression, field.name + " " + v + " is out of range " + field.min + "-" + field.max);
        }
        return v;
    }

    private static IllegalArgumentException fail(String expression, String problem) {
        return new IllegalArgumentException("cron \"" + expression + "\": " + problem);
    }

    /** A field's bounds; {@code last} is where {@code *} and {@code a/n} stop; names count up from {@code min}. */
    private record Field(String name, int min, int max, int last, List<String> names) {

        String allowed() {
            String named = names.isEmpty() ? "" : " or " + names.get(0) + "-" + names.get(names.size() - 1);
            return "allowed are " + min + "-" + max + named + ", as *, n, a-b, */n, a-b/n or a/n, comma-separated";
        }
    }
}
