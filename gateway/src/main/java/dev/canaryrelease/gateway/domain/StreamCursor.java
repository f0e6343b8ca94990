package dev.canaryrelease.gateway.domain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A position in the merged stream of every {@code *.events} partition: for each partition, the
 * offset of the last record passed. Written as the SSE event id, {@code
 * topic:partition:offset[,topic:partition:offset...]}; a client that sends it back as {@code
 * Last-Event-ID} gets exactly the records after it in every partition, whatever order the gateway
 * (or a restarted gateway) reads the partitions in. A single {@code topic:partition:offset} is a
 * valid cursor too (nothing passed in the other partitions).
 */
public final class StreamCursor {
    private final Map<String, Long> offsets;

    private StreamCursor(Map<String, Long> offsets) {
        this.offsets = offsets;
    }

    public static StreamCursor start() {
        return new StreamCursor(new TreeMap<>());
    }

    /**
     * Parses a cursor.
     *
     * @throws IllegalArgumentException when it is not one
     */
    public static StreamCursor parse(String text) {
        Map<String, Long> m = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return new StreamCursor(m);
        }
        for (String part : text.trim().split(",")) {
            int b = part.lastIndexOf(':');
            int a = b <= 0 ? -1 : part.lastIndexOf(':', b - 1);
            if (a <= 0) {
                throw new IllegalArgumentException("not topic:partition:offset: " + part);
            }
            try {
                int partition = Integer.parseInt(part.substring(a + 1, b));
                long offset = Long.parseLong(part.substring(b + 1));
                if (partition < 0 || offset < 0) {
                    throw new NumberFormatException();
                }
                m.merge(key(part.substring(0, a), partition), offset, Math::max);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not topic:partition:offset: " + part);
            }
        }
        return new StreamCursor(m);
    }

    public static String key(String topic, int partition) {
        return topic + ":" + partition;
    }

    /** True when the record at this position is after the cursor. */
    public boolean isAfter(String topic, int partition, long offset) {
        Long last = offsets.get(key(topic, partition));
        return last == null || offset > last;
    }

    /** Moves the cursor past the record. */
    public void pass(String topic, int partition, long offset) {
        offsets.merge(key(topic, partition), offset, Math::max);
    }

    public Map<String, Long> offsets() {
        return new LinkedHashMap<>(offsets);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        offsets.forEach(
                (k, v) -> {
                    if (sb.length() > 0) sb.append(',');
                    sb.append(k).append(':').append(v);
                });
        return sb.toString();
    }
}
