package dev.canaryrelease.builder.domain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Where build-service's consumer group stands on each partition of {@code gateway.events}, kept so
 * that the group's committed offset says exactly which {@code build.requested} have an outcome.
 *
 * <p>A record is <em>done</em> once its outcome ({@code build.succeeded}/{@code build.failed}, or
 * nothing for a record this service ignores) is acknowledged by Kafka. The commit point of a
 * partition is its lowest record not done (or the one after the last record seen), and its metadata
 * lists the records above that point that are done already: builds of different apps of one
 * partition end out of order, and the next owner of the partition must not build those again. The
 * metadata is Kafka's own {@code OffsetAndMetadata.metadata()} of the committed offset; the next
 * owner reads it back with the committed offset ({@link #assigned}) and skips what it lists.
 *
 * <p>Not thread-safe by itself: every method is synchronized.
 */
public final class OffsetBook {
    /**
     * The metadata's most listed offsets; the broker's {@code offset.metadata.max.bytes} (4096 by
     * default) bounds it. Past this many, the ones left out are built again by the next owner.
     */
    public static final int MAX_LISTED = 200;

    private static final String PREFIX = "done:";

    /** Per partition: offset → done. */
    private final Map<Integer, TreeMap<Long, Boolean>> records = new HashMap<>();

    /** Per partition: the offset after the last record seen. */
    private final Map<Integer, Long> next = new HashMap<>();

    /** Per partition: offsets a previous owner listed as done (skipped when they are read). */
    private final Map<Integer, Set<Long>> skip = new HashMap<>();

    /** A commit point: the offset to commit and its metadata. */
    public record Point(long offset, String metadata) {}

    /**
     * The partition was given to this instance: {@code committed} is the group's committed offset
     * (null if none) and {@code metadata} its metadata. Forgets what it knew of it before.
     */
    public synchronized void assigned(int partition, Long committed, String metadata) {
        records.remove(partition);
        next.remove(partition);
        Set<Long> done = parse(metadata);
        if (committed != null) {
            done.removeIf(o -> o < committed);
        }
        skip.put(partition, done);
    }

    /** The partition was taken away: forgets it. */
    public synchronized void revoked(int partition) {
        records.remove(partition);
        next.remove(partition);
        skip.remove(partition);
    }

    /**
     * A record was read. True if a previous owner had it done already (listed in the committed
     * metadata): it is then done here too and must not be handled again.
     */
    public synchronized boolean received(int partition, long offset) {
        boolean already = skip.getOrDefault(partition, Set.of()).remove(offset);
        records.computeIfAbsent(partition, p -> new TreeMap<>()).put(offset, already);
        next.merge(partition, offset + 1, Math::max);
        return already;
    }

    /** The record's outcome is on Kafka (or it needs none). */
    public synchronized void done(int partition, long offset) {
        TreeMap<Long, Boolean> r = records.get(partition);
        if (r != null && r.containsKey(offset)) {
            r.put(offset, true);
        }
    }

    /** The commit point of a partition, empty when no record was read from it. */
    public synchronized Optional<Point> point(int partition) {
        Long after = next.get(partition);
        if (after == null) {
            return Optional.empty();
        }
        TreeMap<Long, Boolean> r = records.getOrDefault(partition, new TreeMap<>());
        // what is done below the first record not done is covered by the offset: dropped
        while (!r.isEmpty() && r.firstEntry().getValue()) {
            r.pollFirstEntry();
        }
        if (r.isEmpty()) {
            return Optional.of(new Point(after, ""));
        }
        long offset = r.firstKey();
        List<Long> done = new ArrayList<>();
        for (Map.Entry<Long, Boolean> e : r.entrySet()) {
            if (e.getValue() && done.size() < MAX_LISTED) {
                done.add(e.getKey());
            }
        }
        return Optional.of(
                new Point(
                        offset,
                        done.isEmpty()
                                ? ""
                                : PREFIX
                                        + done.stream()
                                                .map(String::valueOf)
                                                .collect(Collectors.joining(","))));
    }

    /** The commit points of every partition read from. */
    public synchronized Map<Integer, Point> points() {
        Map<Integer, Point> out = new HashMap<>();
        for (Integer p : new ArrayList<>(next.keySet())) {
            point(p).ifPresent(pt -> out.put(p, pt));
        }
        return out;
    }

    static Set<Long> parse(String metadata) {
        Set<Long> out = new HashSet<>();
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return out;
        }
        for (String s : metadata.substring(PREFIX.length()).split(",")) {
            try {
                out.add(Long.parseLong(s.trim()));
            } catch (NumberFormatException e) {
                // not ours: ignored
            }
        }
        return out;
    }
}
