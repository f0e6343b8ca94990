package dev.canaryrelease.events.topics;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How the suite creates and checks its Kafka topics ({@code canary.kafka.topics.*}). The defaults
 * fit the single-broker dev/test setup; a cluster of three brokers sets {@code partitions}, {@code
 * replication-factor=3} and {@code min-insync-replicas=2}.
 */
@ConfigMapping(prefix = "canary.kafka.topics")
public interface TopicsConfig {

    /**
     * Partitions of a topic the service creates; an existing topic with fewer refuses the start
     * (the record key is the app, so one app's events stay in one partition whatever the count, and
     * on the same partition number of every topic when the counts are equal).
     */
    @WithDefault("1")
    int partitions();

    /**
     * Replication factor of a topic the service creates; an existing topic with a lower one refuses
     * the start.
     */
    @WithDefault("1")
    short replicationFactor();

    /**
     * {@code min.insync.replicas} of a topic the service creates: with {@code acks=all} a write is
     * acknowledged only once this many replicas have it. An existing topic with a lower value set
     * on the topic refuses the start; one that only inherits a lower broker default gets this
     * value.
     */
    @WithDefault("1")
    int minInsyncReplicas();

    /**
     * Retention of the {@code <service>.events} topics: {@code forever} or a duration ({@code 90d},
     * {@code 720h}, ISO-8601). Every service rebuilds its state by replaying them, so the default
     * keeps them forever.
     */
    @WithDefault("forever")
    Retention eventsRetention();

    /**
     * {@code segment.ms} of the compacted snapshot topics: Kafka never compacts the segment being
     * written, so with the broker's default (7 days, or 1 GiB) a start would read every version of
     * every key written in up to a week. A segment rolls once it is this old, and the cleaner can
     * then keep only the last record of each key.
     */
    @WithDefault("1h")
    Duration snapshotSegment();

    /** Retention of the {@code dead-letter-topic-<channel>} topics. */
    @WithDefault("30d")
    Retention deadLetterRetention();

    /**
     * How long the start waits for the broker to answer before it gives up (every service may start
     * before the broker).
     */
    @WithDefault("120s")
    Duration startTimeout();

    /** Check (and create) the topics at start; off only for a service that runs without Kafka. */
    @WithDefault("true")
    boolean checkAtStart();
}
