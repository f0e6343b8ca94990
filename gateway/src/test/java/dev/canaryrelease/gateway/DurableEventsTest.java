package dev.canaryrelease.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

import dev.canaryrelease.events.Channels;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/** The gateway's producers are durable: acks=all and idempotent, dead letters included. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class DurableEventsTest {
    @Inject KafkaClientService kafka;

    @Test
    void eventsOutWaitsForEveryInSyncReplicaAndIsIdempotent() {
        Map<String, ?> config = kafka.getProducer(Channels.EVENTS_OUT).configuration();
        assertEquals("all", String.valueOf(config.get("acks")));
        assertEquals("true", String.valueOf(config.get("enable.idempotence")));
        assertEquals("5", String.valueOf(config.get("max.in.flight.requests.per.connection")));
    }

    /**
     * The dead-letter producer (which SmallRye builds from the incoming channel's configuration,
     * not from events-out's) is idempotent, which Kafka allows only with {@code acks=all}: the
     * broker keeps a producer state (id, sequence) for its writes on the dead-letter topic, which
     * it never does for a plain {@code acks=1} producer. (On a one-broker cluster
     * min.insync.replicas is capped at the replication factor, so a refused acks=all write cannot
     * be shown here.)
     */
    @Test
    void theDeadLetterProducerIsIdempotent() throws Exception {
        String deadLetters = Topics.deadLetter("gateway-in");
        String key = "durable-" + UUID.randomUUID();
        try (Admin admin = Admin.create(KafkaTestResource.clientConfig(KafkaPrincipals.BROKER));
                EventSender sender =
                        new EventSender(KafkaTestResource.bootstrapServers(), "gateway");
                EventCapture dead =
                        EventCapture.start(KafkaTestResource.bootstrapServers(), deadLetters)) {
            sender.sendRaw(
                    Topics.GATEWAY,
                    key,
                    "not a cloud event".getBytes(StandardCharsets.UTF_8),
                    List.of());
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> count(dead, key) == 1);

            // the dead letter keeps the record's key, so it is in that key's partition
            TopicPartition partition =
                    dead.records().stream()
                            .filter(r -> key.equals(r.record().key()))
                            .map(r -> new TopicPartition(deadLetters, r.record().partition()))
                            .findFirst()
                            .orElseThrow();
            List<ProducerState> writers =
                    admin.describeProducers(List.of(partition))
                            .partitionResult(partition)
                            .get(10, TimeUnit.SECONDS)
                            .activeProducers();
            assertFalse(writers.isEmpty(), "no idempotent producer wrote " + deadLetters);
            assertTrue(
                    writers.stream().allMatch(p -> p.producerId() >= 0 && p.lastSequence() >= 0),
                    writers.toString());
        }
    }

    private static long count(EventCapture capture, String key) {
        return capture.records().stream().filter(r -> key.equals(r.record().key())).count();
    }
}
