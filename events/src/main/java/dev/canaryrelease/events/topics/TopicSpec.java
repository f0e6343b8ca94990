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
 */
public record TopicSpec(
        String name,
        String cleanupPolicy,
        Retention retention,
        int partitions,
        short replicationFactor,
        int minInsyncReplicas) {
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String RETENTION_MS = "retention.ms";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String DELETE = "delete";
    public static final String COMPACT = "compact";

    /** The topic-level configs a created topic gets. */
    public Map<String, String> configs() {
        return Map.of(
                CLEANUP_POLICY,
                cleanupPolicy,
                RETENTION_MS,
                Long.toString(retention.millis()),
                MIN_INSYNC_REPLICAS,
                Integer.toString(minInsyncReplicas));
    }
}
