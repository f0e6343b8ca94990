package dev.canaryrelease.testsupport;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

/**
 * A real single-node KRaft Kafka broker on 127.0.0.1 for {@code @QuarkusTest}s (no Dev Services, no
 * Docker). One broker per test JVM, shared by every test class that names this resource.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {
    private static EmbeddedKafkaBroker broker;

    /** Starts the shared broker if needed and returns its bootstrap servers. */
    public static synchronized String bootstrapServers() {
        if (broker == null) {
            broker =
                    new EmbeddedKafkaBroker()
                            .withKafkaHost("127.0.0.1")
                            .withDeleteLogDirsOnClose(true)
                            .withAdditionalProperties(KafkaTestResource::singleNodeDefaults)
                            .start();
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-stop"));
        }
        return broker.getAdvertisedListeners();
    }

    /**
     * Settings of a one-broker cluster: one partition per topic (a release's events stay in order),
     * no topic created on first use (every service creates and checks its own topics before its
     * channels start, so a topic the broker made with its defaults can never win that race),
     * replication factor 1 for the internal topics, no rebalance delay. Shared by the test broker
     * and {@link KafkaBrokerMain} (dev/up).
     */
    static void singleNodeDefaults(java.util.Properties p) {
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
    }

    @Override
    public Map<String, String> start() {
        return Map.of("kafka.bootstrap.servers", bootstrapServers());
    }

    @Override
    public void stop() {
        // The broker outlives a test class: the next class reuses it; the JVM's exit stops it.
    }
}
