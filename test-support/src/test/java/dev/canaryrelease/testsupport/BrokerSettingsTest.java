package dev.canaryrelease.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;

import org.junit.jupiter.api.Test;

/** The broker settings of one node and of a cluster ({@link KafkaTestResource}). */
class BrokerSettingsTest {

    @Test
    void oneNodeKeepsOneReplicaOfEverything() {
        Properties p = new Properties();
        KafkaTestResource.singleNodeDefaults(p);
        assertEquals("false", p.get("auto.create.topics.enable"));
        assertEquals("1", p.get("offsets.topic.replication.factor"));
        assertEquals("1", p.get("transaction.state.log.replication.factor"));
        assertEquals("1", p.get("transaction.state.log.min.isr"));
    }

    @Test
    void aClusterKeepsThreeReplicasTwoInSync() {
        Properties p = new Properties();
        KafkaTestResource.clusterDefaults(p, 3);
        assertEquals("false", p.get("auto.create.topics.enable"), "the services make the topics");
        assertEquals("3", p.get("default.replication.factor"));
        assertEquals("2", p.get("min.insync.replicas"));
        assertEquals("3", p.get("offsets.topic.replication.factor"));
        assertEquals("3", p.get("transaction.state.log.replication.factor"));
        assertEquals("2", p.get("transaction.state.log.min.isr"));
        assertEquals("6000", p.get("broker.session.timeout.ms"));
    }

    @Test
    void twoBrokersAreRefusedWithTheReason() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> KafkaTestResource.clusterDefaults(new Properties(), 2));
        assertTrue(e.getMessage().contains("at least 3 brokers (got 2)"), e.getMessage());
    }
}
