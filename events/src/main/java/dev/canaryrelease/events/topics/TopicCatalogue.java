package dev.canaryrelease.events.topics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import dev.canaryrelease.events.Topics;

/**
 * Every topic of the suite with the settings it needs (pure: no Kafka). {@link #wanted} says what a
 * topic must be; {@link #compare} says how an existing topic differs.
 *
 * <ul>
 *   <li>{@code <service>.events}: {@code delete}, retention {@code
 *       canary.kafka.topics.events-retention} (forever by default: every service rebuilds its state
 *       by replaying them; compaction would keep only the last event of each release).
 *   <li>{@code gateway.releases}, {@code gateway.release-details}, {@code gateway.release-pages},
 *       {@code deploy.releases}, {@code lb.servers} ({@link Topics#SNAPSHOTS}): {@code compact},
 *       retention forever: the latest record of each key is the state, kept whatever the event
 *       topics' retention; {@code segment.ms} {@code canary.kafka.topics.snapshot-segment} (1 h),
 *       so that the cleaner gets rolled segments to compact and a start reads about one record per
 *       key.
 *   <li>{@code dead-letter-topic-<channel>}: {@code delete}, retention {@code
 *       canary.kafka.topics.dead-letter-retention} (30 days: long enough for an operator to look).
 * </ul>
 */
public final class TopicCatalogue {
    private final TopicsConfig config;

    public TopicCatalogue(TopicsConfig config) {
        if (config.minInsyncReplicas() > config.replicationFactor()) {
            throw new IllegalArgumentException(
                    "canary.kafka.topics.min-insync-replicas ("
                            + config.minInsyncReplicas()
                            + ") is above canary.kafka.topics.replication-factor ("
                            + config.replicationFactor()
                            + "): a topic cannot have more in-sync replicas than replicas");
        }
        this.config = config;
    }

    /** What {@code topic} must be; fails for a topic the suite does not know. */
    public TopicSpec wanted(String topic) {
        if (Topics.ALL.contains(topic)) {
            return spec(topic, TopicSpec.DELETE, config.eventsRetention());
        }
        if (Topics.SNAPSHOTS.contains(topic)) {
            return new TopicSpec(
                    topic,
                    TopicSpec.COMPACT,
                    Retention.FOREVER,
                    config.partitions(),
                    config.replicationFactor(),
                    config.minInsyncReplicas(),
                    config.snapshotSegment().toMillis());
        }
        if (topic.startsWith(Topics.deadLetter(""))) {
            return spec(topic, TopicSpec.DELETE, config.deadLetterRetention());
        }
        throw new IllegalArgumentException(
                "topic '"
                        + topic
                        + "' is not in the suite's topic catalogue ("
                        + TopicCatalogue.class.getName()
                        + "): add it with the settings it needs");
    }

    private TopicSpec spec(String topic, String policy, Retention retention) {
        return new TopicSpec(
                topic,
                policy,
                retention,
                config.partitions(),
                config.replicationFactor(),
                config.minInsyncReplicas(),
                null);
    }

    /** A topic as the broker describes it. */
    public record Observed(
            String name, int partitions, int replicationFactor, Map<String, Setting> configs) {}

    /**
     * One topic config as the broker reports it.
     *
     * @param value the effective value
     * @param onTopic true when set on the topic itself, false when inherited from the broker
     */
    public record Setting(String value, boolean onTopic) {}

    /** One difference that refuses the start. */
    public record Mismatch(String topic, String setting, String actual, String wanted, String key) {
        @Override
        public String toString() {
            return "topic '"
                    + topic
                    + "': "
                    + setting
                    + " is "
                    + actual
                    + ", wanted "
                    + wanted
                    + (key == null ? "" : " (" + key + ")");
        }
    }

    /**
     * How an existing topic differs from {@code wanted}.
     *
     * @param mismatches what refuses the start
     * @param adopt topic configs to set: values only inherited from the broker's defaults that are
     *     less safe than wanted (retention, {@code min.insync.replicas}); setting them loses
     *     nothing
     */
    public record Comparison(List<Mismatch> mismatches, Map<String, String> adopt) {}

    /** Compares an existing topic with what it must be. */
    public static Comparison compare(TopicSpec wanted, Observed actual) {
        String t = wanted.name();
        List<Mismatch> bad = new ArrayList<>();
        Map<String, String> adopt = new java.util.TreeMap<>();
        Setting policy = actual.configs().get(TopicSpec.CLEANUP_POLICY);
        String policyValue = policy == null ? TopicSpec.DELETE : normalise(policy.value());
        if (!policyValue.equals(normalise(wanted.cleanupPolicy()))) {
            bad.add(
                    new Mismatch(
                            t,
                            TopicSpec.CLEANUP_POLICY,
                            policyValue,
                            wanted.cleanupPolicy(),
                            null));
        }
        if (actual.partitions() < wanted.partitions()) {
            bad.add(
                    new Mismatch(
                            t,
                            "partitions",
                            Integer.toString(actual.partitions()),
                            "at least " + wanted.partitions(),
                            "canary.kafka.topics.partitions"));
        }
        if (actual.replicationFactor() < wanted.replicationFactor()) {
            bad.add(
                    new Mismatch(
                            t,
                            "replication factor",
                            Integer.toString(actual.replicationFactor()),
                            "at least " + wanted.replicationFactor(),
                            "canary.kafka.topics.replication-factor"));
        }
        Setting isr = actual.configs().get(TopicSpec.MIN_INSYNC_REPLICAS);
        int isrValue = isr == null ? 1 : Integer.parseInt(isr.value().trim());
        if (isrValue < wanted.minInsyncReplicas()) {
            if (isr != null && isr.onTopic()) {
                bad.add(
                        new Mismatch(
                                t,
                                TopicSpec.MIN_INSYNC_REPLICAS,
                                Integer.toString(isrValue),
                                "at least " + wanted.minInsyncReplicas(),
                                "canary.kafka.topics.min-insync-replicas"));
            } else {
                adopt.put(
                        TopicSpec.MIN_INSYNC_REPLICAS,
                        Integer.toString(wanted.minInsyncReplicas()));
            }
        } else if (isrValue > actual.replicationFactor()) {
            bad.add(
                    new Mismatch(
                            t,
                            TopicSpec.MIN_INSYNC_REPLICAS,
                            isrValue
                                    + " (above the topic's replication factor "
                                    + actual.replicationFactor()
                                    + ": Kafka caps it there, so every replica must be in sync for a write)",
                            "at most " + actual.replicationFactor(),
                            null));
        }
        Setting ret = actual.configs().get(TopicSpec.RETENTION_MS);
        Retention retValue = ret == null ? null : new Retention(Long.parseLong(ret.value().trim()));
        if (retValue == null || !retValue.atLeast(wanted.retention())) {
            if (ret != null && ret.onTopic()) {
                bad.add(
                        new Mismatch(
                                t,
                                TopicSpec.RETENTION_MS,
                                retValue.toString(),
                                wanted.retention().millis() == -1
                                        ? wanted.retention().toString()
                                        : "at least " + wanted.retention(),
                                wanted.name()
                                                .startsWith(
                                                        dev.canaryrelease.events.Topics.deadLetter(
                                                                ""))
                                        ? "canary.kafka.topics.dead-letter-retention"
                                        : "canary.kafka.topics.events-retention"));
            } else {
                adopt.put(TopicSpec.RETENTION_MS, Long.toString(wanted.retention().millis()));
            }
        }
        if (wanted.segmentMs() != null) {
            // only a broker default is replaced: a value set on the topic is the operator's
            Setting seg = actual.configs().get(TopicSpec.SEGMENT_MS);
            if (seg == null || !seg.onTopic()) {
                adopt.put(TopicSpec.SEGMENT_MS, Long.toString(wanted.segmentMs()));
            }
        }
        return new Comparison(List.copyOf(bad), Map.copyOf(adopt));
    }

    private static String normalise(String policy) {
        return String.join(
                ",",
                new TreeSet<>(
                        Arrays.stream(policy.split(","))
                                .map(String::trim)
                                .filter(s -> !s.isEmpty())
                                .toList()));
    }
}
