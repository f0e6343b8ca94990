package dev.canaryrelease.events.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-request times of one server over one window, as counts per whole millisecond (HAProxy logs
 * {@code %Tr} in whole milliseconds, so nothing is lost): {@code buckets} ascending by {@code ms},
 * each value once, every count above 0.
 */
public record LatencyHistogram(List<Bucket> buckets) {
    /** {@code count} requests took {@code ms} milliseconds. */
    public record Bucket(long ms, long count) {}

    public static final LatencyHistogram EMPTY = new LatencyHistogram(List.of());

    public LatencyHistogram {
        buckets = buckets == null ? List.of() : List.copyOf(buckets);
        long last = Long.MIN_VALUE;
        for (Bucket b : buckets) {
            if (b.ms() <= last || b.ms() < 0 || b.count() <= 0) {
                throw new IllegalArgumentException(
                        "latency buckets must be ascending, at or above 0 ms and counted: "
                                + buckets);
            }
            last = b.ms();
        }
    }

    /** The histogram of these samples (milliseconds). */
    public static LatencyHistogram of(long... samplesMs) {
        TreeMap<Long, Long> counts = new TreeMap<>();
        for (long s : samplesMs) {
            counts.merge(s, 1L, Long::sum);
        }
        return of(counts);
    }

    /** The histogram of a map of milliseconds to counts (counts of 0 are left out). */
    public static LatencyHistogram of(Map<Long, Long> counts) {
        List<Bucket> out = new ArrayList<>();
        new TreeMap<>(counts)
                .forEach(
                        (ms, n) -> {
                            if (n > 0) out.add(new Bucket(ms, n));
                        });
        return new LatencyHistogram(out);
    }

    /** How many requests it holds. */
    public long count() {
        long n = 0;
        for (Bucket b : buckets) n += b.count();
        return n;
    }

    /** Both histograms' requests together (the servers of one side of a comparison). */
    public LatencyHistogram plus(LatencyHistogram other) {
        TreeMap<Long, Long> counts = new TreeMap<>();
        for (Bucket b : buckets) counts.merge(b.ms(), b.count(), Long::sum);
        for (Bucket b : other.buckets) counts.merge(b.ms(), b.count(), Long::sum);
        return of(counts);
    }

    /**
     * The nearest-rank percentile {@code q} (0 &lt; q ≤ 1) in milliseconds: the smallest time at or
     * below which at least {@code q} of the requests fall; -1 for an empty histogram.
     */
    public long percentile(double q) {
        long n = count();
        if (n == 0) return -1;
        long rank = Math.max(1, (long) Math.ceil(q * n));
        long seen = 0;
        for (Bucket b : buckets) {
            seen += b.count();
            if (seen >= rank) return b.ms();
        }
        return buckets.get(buckets.size() - 1).ms();
    }
}
