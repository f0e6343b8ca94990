package dev.canaryrelease.events.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.Topics;

class TopicCatalogueTest {
    /** The settings of a three-broker cluster. */
    record Settings(int partitions, short replicationFactor, int minInsyncReplicas)
            implements TopicsConfig {
        @Override
        public Retention eventsRetention() {
            return Retention.FOREVER;
        }

        @Override
        public java.time.Duration snapshotSegment() {

            return java.time.Duration.ofHours(1);
        }

        @Override
        public Retention deadLetterRetention() {
            return Retention.of("30d");
        }

        @Override
        public Duration startTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public boolean checkAtStart() {
            return true;
        }
    }

    private final TopicCatalogue cluster = new TopicCatalogue(new Settings(3, (short) 3, 2));

    @Test
    void eventTopicsAreDeleteForeverAndDeadLettersDeleteThirtyDays() {
        TopicSpec events = cluster.wanted(Topics.DEPLOY);
        assertEquals(TopicSpec.DELETE, events.cleanupPolicy());
        assertEquals("-1", events.configs().get(TopicSpec.RETENTION_MS));
        assertEquals("2", events.configs().get(TopicSpec.MIN_INSYNC_REPLICAS));
        assertEquals(3, events.partitions());
        assertEquals(3, events.replicationFactor());
        TopicSpec dead = cluster.wanted(Topics.deadLetter("deploy-in"));
        assertEquals(TopicSpec.DELETE, dead.cleanupPolicy());
        assertEquals(
                Long.toString(Duration.ofDays(30).toMillis()),
                dead.configs().get(TopicSpec.RETENTION_MS));
    }

    @Test
    void anUnknownTopicOrAnImpossibleMinInsyncIsRefused() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> cluster.wanted("other.events"));
        assertTrue(e.getMessage().contains("'other.events' is not in the suite's topic catalogue"));
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new TopicCatalogue(new Settings(1, (short) 1, 2)));
        assertEquals(
                "canary.kafka.topics.min-insync-replicas (2) is above"
                        + " canary.kafka.topics.replication-factor (1): a topic cannot have more"
                        + " in-sync replicas than replicas",
                e.getMessage());
    }

    private static Map<String, TopicCatalogue.Setting> onTopic(String... kv) {
        Map<String, TopicCatalogue.Setting> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], new TopicCatalogue.Setting(kv[i + 1], true));
        }
        return m;
    }

    private TopicCatalogue.Comparison compare(
            int partitions, int rf, Map<String, TopicCatalogue.Setting> configs) {
        return TopicCatalogue.compare(
                cluster.wanted(Topics.LB),
                new TopicCatalogue.Observed(Topics.LB, partitions, rf, configs));
    }

    @Test
    void aTopicAsCreatedMatches() {
        TopicCatalogue.Comparison c =
                compare(
                        3,
                        3,
                        onTopic(
                                "cleanup.policy",
                                "delete",
                                "retention.ms",
                                "-1",
                                "min.insync.replicas",
                                "2"));
        assertEquals(List.of(), c.mismatches());
        assertEquals(Map.of(), c.adopt());
        // more partitions, more replicas, a stricter min.insync are fine too
        assertEquals(
                List.of(),
                compare(
                                6,
                                3,
                                onTopic(
                                        "cleanup.policy",
                                        "delete",
                                        "retention.ms",
                                        "-1",
                                        "min.insync.replicas",
                                        "3"))
                        .mismatches());
    }

    @Test
    void eachDifferenceNamesTheTopicTheSettingTheActualAndTheWantedValue() {
        TopicCatalogue.Comparison c =
                compare(
                        1,
                        2,
                        onTopic(
                                "cleanup.policy", "compact",
                                "retention.ms", "604800000",
                                "min.insync.replicas", "1"));
        assertEquals(
                List.of(
                        "topic 'lb.events': cleanup.policy is compact, wanted delete",
                        "topic 'lb.events': partitions is 1, wanted at least 3"
                                + " (canary.kafka.topics.partitions)",
                        "topic 'lb.events': replication factor is 2, wanted at least 3"
                                + " (canary.kafka.topics.replication-factor)",
                        "topic 'lb.events': min.insync.replicas is 1, wanted at least 2"
                                + " (canary.kafka.topics.min-insync-replicas)",
                        "topic 'lb.events': retention.ms is 604800000, wanted forever (-1)"
                                + " (canary.kafka.topics.events-retention)"),
                c.mismatches().stream().map(Object::toString).toList());
        assertEquals(Map.of(), c.adopt());
    }

    @Test
    void aMinInsyncAboveTheReplicationFactorIsRefused() {
        TopicCatalogue.Comparison c =
                compare(
                        3,
                        3,
                        onTopic(
                                "cleanup.policy",
                                "delete",
                                "retention.ms",
                                "-1",
                                "min.insync.replicas",
                                "4"));
        assertEquals(1, c.mismatches().size());
        assertTrue(
                c.mismatches()
                        .get(0)
                        .toString()
                        .contains("every replica must be in sync for a write"));
    }

    @Test
    void brokerDefaultsThatAreLessSafeAreSetOnTheTopicInsteadOfRefused() {
        Map<String, TopicCatalogue.Setting> defaults = new HashMap<>();
        defaults.put("cleanup.policy", new TopicCatalogue.Setting("delete", false));
        defaults.put("retention.ms", new TopicCatalogue.Setting("604800000", false));
        defaults.put("min.insync.replicas", new TopicCatalogue.Setting("1", false));
        TopicCatalogue.Comparison c = compare(3, 3, defaults);
        assertEquals(List.of(), c.mismatches());
        assertEquals(Map.of("retention.ms", "-1", "min.insync.replicas", "2"), c.adopt());
        // a compact default is never adopted: changing the policy may delete records
        defaults.put("cleanup.policy", new TopicCatalogue.Setting("compact", false));
        assertEquals(1, compare(3, 3, defaults).mismatches().size());
    }

    @Test
    void snapshotTopicsRollTheirSegmentsHourlySoCompactionCanWork() {
        TopicSpec snap = cluster.wanted(Topics.DEPLOY_RELEASES);
        assertEquals(TopicSpec.COMPACT, snap.cleanupPolicy());
        assertEquals(
                Long.toString(Duration.ofHours(1).toMillis()), snap.configs().get("segment.ms"));
        // event topics keep the broker's segments: nothing compacts them
        assertEquals(null, cluster.wanted(Topics.DEPLOY).configs().get("segment.ms"));
        Map<String, TopicCatalogue.Setting> defaults = new HashMap<>();
        defaults.put("cleanup.policy", new TopicCatalogue.Setting("compact", true));
        defaults.put("retention.ms", new TopicCatalogue.Setting("-1", true));
        defaults.put("min.insync.replicas", new TopicCatalogue.Setting("2", true));
        defaults.put("segment.ms", new TopicCatalogue.Setting("604800000", false));
        TopicCatalogue.Observed made =
                new TopicCatalogue.Observed(Topics.DEPLOY_RELEASES, 3, 3, defaults);
        // the broker's week-long default is replaced; a value set on the topic is kept
        assertEquals(Map.of("segment.ms", "3600000"), TopicCatalogue.compare(snap, made).adopt());
        defaults.put("segment.ms", new TopicCatalogue.Setting("86400000", true));
        assertEquals(Map.of(), TopicCatalogue.compare(snap, made).adopt());
        assertEquals(List.of(), TopicCatalogue.compare(snap, made).mismatches());
    }

    @Test
    void retentionsParse() {
        assertEquals(Retention.FOREVER, Retention.of("forever"));
        assertEquals(Duration.ofDays(30).toMillis(), Retention.of("30d").millis());
        assertEquals(Duration.ofHours(12).toMillis(), Retention.of("PT12H").millis());
        assertEquals(500, Retention.of("500ms").millis());
        assertTrue(Retention.FOREVER.atLeast(Retention.of("1d")));
        assertTrue(!Retention.of("7d").atLeast(Retention.FOREVER));
        assertTrue(!Retention.of("7d").atLeast(Retention.of("30d")));
        assertThrows(IllegalArgumentException.class, () -> Retention.of("soon"));
    }
}
