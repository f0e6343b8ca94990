package dev.canaryrelease.events.topics;

import java.util.Map;

/**
 * What the suite wants of one topic: what it creates, and what an existing topic must satisfy.
 *
 * @param name the topic
 * @param cleanupPolicy {@code delete} (an event log) or {@code compact} (a snapshot per key)
 * @param retention {@code retention.ms}
 * @param partitions at least this many partitions
 * @param replicationFactor at least this many replicas per partition
 * @param minInsyncReplicas at least this {@code min.insync.replicas}
 * @param segmentMs {@code segment.ms} of a compacted topic (its segments roll so that compaction
 *     can work), or null: the broker's default
 */
public record TopicSpec(
        String name,
        String cleanupPolicy,
        Retention retention,
        int partitions,
        short replicationFactor,
        int minInsyncReplicas,
        Long segmentMs) {
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String RETENTION_MS = "retention.ms";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String DELETE = "delete";
    public static final String COMPACT = "compact";

    /** The topic-level configs a created topic gets. */
    public Map<String, String> configs() {
        Map<String, String> c = new java.util.TreeMap<>();
        c.put(CLEANUP_POLICY, cleanupPolicy);
        c.put(RETENTION_MS, Long.toString(retention.millis()));
        c.put(MIN_INSYNC_REPLICAS, Integer.toString(minInsyncReplicas));
        if (segmentMs != null) c.put(SEGMENT_MS, Long.toString(segmentMs));
        return Map.copyOf(c);
    }
}
