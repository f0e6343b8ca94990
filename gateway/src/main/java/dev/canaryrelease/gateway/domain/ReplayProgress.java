package dev.canaryrelease.gateway.domain;

import java.util.HashMap;
import java.util.Map;

/**
 * Whether the read model has caught up with what the topics held when the gateway started: the end
 * offset of every partition is read once at start; the gateway is ready when, for every partition,
 * the record before that end offset has been read. Latches: once ready, it stays ready.
 */
public final class ReplayProgress {
    private final Map<String, Long> read = new HashMap<>();
    private Map<String, Long> targets;
    private volatile boolean ready;

    /** A record at {@code offset} of the partition was read. */
    public synchronized void read(String topic, int partition, long offset) {
        read.merge(StreamCursor.key(topic, partition), offset, Math::max);
        check();
    }

    /** The end offsets at start (the offset the next record will get), by partition. */
    public synchronized void targets(Map<String, Long> endOffsets) {
        this.targets = new HashMap<>(endOffsets);
        check();
    }

    private void check() {
        if (ready || targets == null) {
            return;
        }
        for (Map.Entry<String, Long> t : targets.entrySet()) {
            if (t.getValue() > 0 && read.getOrDefault(t.getKey(), -1L) < t.getValue() - 1) {
                return;
            }
        }
        ready = true;
    }

    public boolean ready() {
        return ready;
    }

    /** How far the replay has read: grows with every record read (for the stall rule). */
    public synchronized long position() {
        long sum = 0;
        for (long r : read.values()) {
            sum += r + 1;
        }
        return sum;
    }

    /** Partitions still behind, for the 503 body and logs. */
    public synchronized Map<String, String> lag() {
        Map<String, String> m = new HashMap<>();
        if (targets == null) {
            m.put("*", "end offsets not read yet");
            return m;
        }
        targets.forEach(
                (k, v) -> {
                    long r = read.getOrDefault(k, -1L);
                    if (v > 0 && r < v - 1) {
                        m.put(k, (r + 1) + "/" + v);
                    }
                });
        return m;
    }
}
