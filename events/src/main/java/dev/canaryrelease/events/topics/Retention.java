package dev.canaryrelease.events.topics;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A topic's {@code retention.ms}: {@code forever} ({@code -1}) or a positive duration.
 *
 * @param millis {@code -1} for forever
 */
public record Retention(long millis) {
    public static final Retention FOREVER = new Retention(-1);

    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    public Retention {
        if (millis != -1 && millis <= 0) {
            throw new IllegalArgumentException("a retention is forever or positive: " + millis);
        }
    }

    /**
     * Parses {@code forever}, {@code 30d}, {@code 12h}, {@code 90m}, {@code 10s}, {@code 500ms} or
     * ISO-8601.
     */
    public static Retention of(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("forever") || t.equals("-1")) {
            return FOREVER;
        }
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d =
                    switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    };
            return new Retention(d.toMillis());
        }
        try {
            return new Retention(Duration.parse(text.trim().toUpperCase(Locale.ROOT)).toMillis());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "not a retention (forever, 30d, 12h, 90m, 10s, 500ms or ISO-8601): " + text, e);
        }
    }

    /**
     * True when a topic keeping records this long keeps them at least as long as {@code wanted}.
     */
    public boolean atLeast(Retention wanted) {
        if (millis == -1) return true;
        return wanted.millis != -1 && millis >= wanted.millis;
    }

    @Override
    public String toString() {
        return millis == -1 ? "forever (-1)" : Long.toString(millis);
    }
}
