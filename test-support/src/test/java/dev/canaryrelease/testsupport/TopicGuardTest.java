package dev.canaryrelease.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.topics.Retention;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicMismatchException;
import dev.canaryrelease.events.topics.TopicsConfig;

/**
 * {@link TopicGuard} against the real embedded broker (which, like dev/up's, never creates a topic
 * by itself): created topics carry the configured settings, a topic configured differently is
 * refused with a message naming the topic, the setting, the actual and the wanted value.
 */
class TopicGuardTest {
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
            return Duration.ofSeconds(30);
        }

        @Override
        public boolean checkAtStart() {
            return true;
        }
    }

    static final String EVENTS = Topics.GATEWAY;
    static final String DEAD = Topics.deadLetter("guard-test-in");
    static final String SNAPSHOT = Topics.DEPLOY_RELEASES;

    private Admin admin;

    @BeforeEach
    void connect() throws Exception {
        admin = Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER));
        deleteTopics();
    }

    @AfterEach
    void cleanUp() throws Exception {
        deleteTopics();
        admin.close();
    }

    private void deleteTopics() throws Exception {
        Set<String> present = admin.listTopics().names().get(10, TimeUnit.SECONDS);
        List<String> ours =
                List.of(EVENTS, DEAD, SNAPSHOT).stream().filter(present::contains).toList();
        if (!ours.isEmpty()) {
            admin.deleteTopics(ours).all().get(10, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    admin.listTopics().names().get().stream()
                                            .noneMatch(ours::contains));
        }
    }

    private static TopicGuard guard(int partitions, int rf, int minInsync) {
        Settings s = new Settings(partitions, (short) rf, minInsync);
        return new TopicGuard(
                KafkaTestResource.clientConfig(KafkaPrincipals.BROKER),
                new TopicCatalogue(s),
                s.startTimeout());
    }

    private Map<String, ConfigEntry> configs(String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
        Map<String, ConfigEntry> m = new java.util.HashMap<>();
        c.entries().forEach(e -> m.put(e.name(), e));
        return m;
    }

    @Test
    void missingTopicsAreCreatedWithTheConfiguredSettings() throws Exception {
        assertEquals(List.of(DEAD, EVENTS), guard(2, 1, 1).ensure(List.of(EVENTS, DEAD)));

        Map<String, TopicDescription> d =
                admin.describeTopics(List.of(EVENTS, DEAD))
                        .allTopicNames()
                        .get(10, TimeUnit.SECONDS);
        for (String t : List.of(EVENTS, DEAD)) {
            assertEquals(2, d.get(t).partitions().size(), t);
            assertEquals(1, d.get(t).partitions().get(0).replicas().size(), t);
            Map<String, ConfigEntry> c = configs(t);
            assertEquals("delete", c.get("cleanup.policy").value(), t);
            assertEquals("1", c.get("min.insync.replicas").value(), t);
            assertEquals(
                    ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
                    c.get("retention.ms").source(),
                    t);
        }
        assertEquals("-1", configs(EVENTS).get("retention.ms").value());
        assertEquals(
                Long.toString(Duration.ofDays(30).toMillis()),
                configs(DEAD).get("retention.ms").value());

        // a second service checking the same topics creates nothing and passes
        assertEquals(List.of(), guard(1, 1, 1).ensure(List.of(EVENTS, DEAD)));
    }

    @Test
    void aTopicWithTheWrongCleanupPolicyIsRefused() throws Exception {
        admin.createTopics(
                        List.of(
                                new NewTopic(EVENTS, 1, (short) 1)
                                        .configs(
                                                Map.of(
                                                        "cleanup.policy", "compact",
                                                        "retention.ms", "-1"))))
                .all()
                .get(10, TimeUnit.SECONDS);

        TopicMismatchException e =
                assertThrows(
                        TopicMismatchException.class,
                        () -> guard(1, 1, 1).ensure(List.of(EVENTS, DEAD)));

        assertTrue(
                e.getMessage()
                        .contains(
                                "topic 'gateway.events': cleanup.policy is compact, wanted delete"),
                e.getMessage());
        assertEquals(1, e.mismatches().size(), e.getMessage());
        assertEquals("compact", configs(EVENTS).get("cleanup.policy").value(), "left alone");
    }

    @Test
    void fewerPartitionsALowerMinInsyncAndAShorterRetentionAreRefused() throws Exception {
        admin.createTopics(
                        List.of(
                                new NewTopic(EVENTS, 1, (short) 1)
                                        .configs(
                                                Map.of(
                                                        "min.insync.replicas", "1",
                                                        "retention.ms", "604800000"))))
                .all()
                .get(10, TimeUnit.SECONDS);

        TopicMismatchException e =
                assertThrows(
                        TopicMismatchException.class, () -> guard(3, 2, 2).ensure(List.of(EVENTS)));

        assertEquals(
                List.of(
                        "topic 'gateway.events': partitions is 1, wanted at least 3"
                                + " (canary.kafka.topics.partitions)",
                        "topic 'gateway.events': replication factor is 1, wanted at least 2"
                                + " (canary.kafka.topics.replication-factor)",
                        "topic 'gateway.events': min.insync.replicas is 1, wanted at least 2"
                                + " (canary.kafka.topics.min-insync-replicas)",
                        "topic 'gateway.events': retention.ms is 604800000, wanted forever (-1)"
                                + " (canary.kafka.topics.events-retention)"),
                e.mismatches().stream().map(Object::toString).toList());
    }

    @Test
    void aTopicWithOnlyTheBrokersDefaultsGetsTheWantedRetention() throws Exception {
        // as the broker auto-created topics before the suite created its own
        admin.createTopics(List.of(new NewTopic(EVENTS, 1, (short) 1)))
                .all()
                .get(10, TimeUnit.SECONDS);
        assertEquals("604800000", configs(EVENTS).get("retention.ms").value());

        assertEquals(List.of(), guard(1, 1, 1).ensure(List.of(EVENTS)));

        assertEquals("-1", configs(EVENTS).get("retention.ms").value());
    }

    @Test
    void aSnapshotTopicIsCreatedWithHourlySegmentsAndAnOlderOneGetsThem() throws Exception {
        assertEquals(List.of(SNAPSHOT), guard(1, 1, 1).ensure(List.of(SNAPSHOT)));
        ConfigEntry seg = configs(SNAPSHOT).get("segment.ms");
        assertEquals("3600000", seg.value());
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, seg.source());

        // as an earlier version of the suite made it: compacted, the broker's week-long segments
        deleteTopics();
        admin.createTopics(
                        List.of(
                                new NewTopic(SNAPSHOT, 1, (short) 1)
                                        .configs(
                                                Map.of(
                                                        "cleanup.policy", "compact",
                                                        "retention.ms", "-1"))))
                .all()
                .get(10, TimeUnit.SECONDS);
        assertEquals("604800000", configs(SNAPSHOT).get("segment.ms").value());
        assertEquals(List.of(), guard(1, 1, 1).ensure(List.of(SNAPSHOT)));
        assertEquals("3600000", configs(SNAPSHOT).get("segment.ms").value());
    }

    private static Map<String, Object> withMaxBlock(Map<String, Object> c) {
        Map<String, Object> m = new java.util.HashMap<>(c);
        m.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000);
        return m;
    }

    @Test
    void theBrokerNeverCreatesATopicOnFirstUse() throws Exception {
        try (KafkaProducer<String, String> p =
                new KafkaProducer<>(
                        withMaxBlock(KafkaTestResource.clientConfig("gateway")),
                        new StringSerializer(),
                        new StringSerializer())) {
            assertThrows(
                    org.apache.kafka.common.errors.TimeoutException.class,
                    () -> p.partitionsFor(EVENTS));
        }
        assertFalse(admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(EVENTS));
    }
}
