package dev.canaryrelease.lb.domain;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether the state consumer has replayed what its topics held when lb-service started. The first
 * assignment of each partition gives its beginning and end offsets (the end is the offset the next
 * record will get); a partition is replayed once the record before that end has been read, or at
 * once when it holds no record (empty, or emptied by retention). Done when every partition of the
 * first assignment is replayed, and it stays done (a later rebalance does not undo it).
 */
public final class ReplayProgress {
    private final Map<String, Long> ends = new HashMap<>();
    private final Map<String, Long> read = new HashMap<>();
    private boolean assigned;
    private volatile boolean done;

    /** The key of a partition, {@code topic-partition}. */
    public static String key(String topic, int partition) {
        return topic + "-" + partition;
    }

    /**
     * Partitions were assigned: their beginning and end offsets. A partition already known keeps
     * its first end offset (what it held at start).
     */
    public synchronized void assigned(Map<String, Long> beginnings, Map<String, Long> endOffsets) {
        endOffsets.forEach(
                (k, end) -> {
                    long begin = beginnings.getOrDefault(k, 0L);
                    ends.putIfAbsent(k, end > begin ? end : -1L);
                });
        assigned = true;
        check();
    }

    /** The record at {@code offset} of the partition was applied. */
    public synchronized void read(String topic, int partition, long offset) {
        if (done) {
            return;
        }
        read.merge(key(topic, partition), offset, Math::max);
        check();
    }

    private void check() {
        if (done || !assigned) {
            return;
        }
        for (Map.Entry<String, Long> e : ends.entrySet()) {
            long end = e.getValue();
            if (end > 0 && read.getOrDefault(e.getKey(), -1L) < end - 1) {
                return;
            }
        }
        done = true;
    }

    public boolean done() {
        return done;
    }

    /** How far the replay has read: grows with every record read (for the stall rule). */
    public synchronized long position() {
        long sum = 0;
        for (long r : read.values()) {
            sum += r + 1;
        }
        return sum;
    }

    /** The partitions still behind, as {@code read/end} (or why nothing is known yet). */
    public synchronized Map<String, String> lag() {
        Map<String, String> m = new TreeMap<>();
        if (!assigned) {
            m.put("partitions", "not assigned yet (broker unreachable?)");
            return m;
        }
        ends.forEach(
                (k, end) -> {
                    long r = read.getOrDefault(k, -1L);
                    if (!done && end > 0 && r < end - 1) {
                        m.put(k, (r + 1) + "/" + end);
                    }
                });
        return m;
    }
}
