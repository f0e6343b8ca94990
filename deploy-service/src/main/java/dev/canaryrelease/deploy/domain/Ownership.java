package dev.canaryrelease.deploy.domain;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.utils.Utils;

/**
 * Which apps this instance runs the rollouts of: those whose key falls on a partition its consumer
 * group gave it (issue 19, point 3). Every event and command of an app is keyed by the app, and the
 * suite's topics have the same partition count, so the app's partition number is the same on every
 * topic; Kafka's range assignor gives partition {@code p} of every topic to the same member.
 * Immutable.
 *
 * @param partitions the topics' partition count (0: nothing assigned yet)
 * @param owned the partition numbers this instance was given
 */
public record Ownership(int partitions, Set<Integer> owned) {
    /** Before the first assignment: no app. */
    public static final Ownership NONE = new Ownership(0, Set.of());

    public Ownership {
        owned = Set.copyOf(new TreeSet<>(owned));
        for (int p : owned) {
            if (p < 0 || p >= partitions) {
                throw new IllegalArgumentException(
                        "partition " + p + " is not one of " + partitions);
            }
        }
    }

    /**
     * The partition the producers' default partitioner gives {@code key} among {@code partitions}
     * (murmur2 of its UTF-8 bytes, as Kafka's {@code BuiltInPartitioner.partitionForKey}).
     */
    public static int partitionOf(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** True when {@code app}'s partition is this instance's. */
    public boolean owns(String app) {
        return partitions > 0 && app != null && owned.contains(partitionOf(app, partitions));
    }

    /** True when {@code app} is owned here and was not by {@code before}. */
    public boolean gained(String app, Ownership before) {
        return owns(app) && !before.owns(app);
    }

    @Override
    public String toString() {
        return owned + " of " + partitions;
    }
}
