package dev.canaryrelease.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.topics.Retention;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsConfig;

/**
 * Produces CloudEvents (or garbage) with a plain Kafka producer, as another service would. The
 * broker creates no topic by itself: a suite topic that does not exist yet (history written before
 * the service under test starts) is first created as the services create it ({@link TopicGuard},
 * the single-broker defaults).
 *
 * <p>It produces as the principal named by {@code source} (a service's name is its principal and
 * its CloudEvent source), so the broker's ACLs hold for tests too: a sender for {@code "gateway"}
 * can only write {@code gateway.events}, as the gateway can.
 */
public final class EventSender implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final String source;
    private final String bootstrap;
    private final String principal;
    private final Set<String> ensured = ConcurrentHashMap.newKeySet();

    public EventSender(String bootstrap, String source) {
        this(bootstrap, source, source);
    }

    /** A sender of events with source {@code source}, producing as {@code principal}. */
    public EventSender(String bootstrap, String source, String principal) {
        Properties p = new Properties();
        p.putAll(KafkaClients.config(bootstrap, principal));
        this.principal = principal;
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        this.source = source;
        this.bootstrap = bootstrap;
    }

    /** Sends a new event on its type's topic and returns it. */
    public <T extends CanaryEvent> EventEnvelope<T> send(T data) {
        EventEnvelope<T> e = EventEnvelope.of(EventEnvelope.sourceOf(source), data);
        send(e);
        return e;
    }

    /** Sends an event caused by {@code cause}. */
    public <T extends CanaryEvent> EventEnvelope<T> send(EventEnvelope<?> cause, T data) {
        EventEnvelope<T> e = cause.causes(EventEnvelope.sourceOf(source), data);
        send(e);
        return e;
    }

    /** Sends a prepared envelope on its type's topic. */
    public void send(EventEnvelope<?> e) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
        sendRaw(e.type().topic(), enc.key(), enc.value(), enc.headers());
    }

    /** Sends arbitrary bytes and headers, e.g. a poison record. */
    public void sendRaw(String topic, String key, byte[] value, List<Header> headers) {
        ensureTopic(topic);
        try {
            producer.send(new ProducerRecord<>(topic, null, key, value, headers))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot send to " + topic + ": " + e, e);
        }
    }

    private void ensureTopic(String topic) {
        if (!ensured.add(topic)) return;
        // the test broker's topics have the tests' partition count; another broker's (a bench's)
        // are made by its services, with their own count, and need only exist
        TopicCatalogue catalogue =
                new TopicCatalogue(
                        KafkaTestResource.isTestBroker(bootstrap)
                                ? SingleBrokerTopics.INSTANCE
                                : SingleBrokerTopics.ONE_PARTITION);
        try {
            catalogue.wanted(topic);
        } catch (IllegalArgumentException notOurs) {
            return; // not a suite topic: the send fails if it does not exist, as it should
        }
        new TopicGuard(KafkaClients.config(bootstrap, principal), catalogue, Duration.ofSeconds(30))
                .ensure(List.of(topic));
    }

    /**
     * The topics of the single test broker: {@link TopicsConfig}'s defaults but the partitions,
     * {@link KafkaTestResource#PARTITIONS} (what {@link KafkaTestResource} gives the services under
     * test); {@code ONE_PARTITION} has the defaults' one partition.
     */
    public enum SingleBrokerTopics implements TopicsConfig {
        INSTANCE(KafkaTestResource.PARTITIONS),
        ONE_PARTITION(1);

        private final int partitions;

        SingleBrokerTopics(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public int partitions() {
            return partitions;
        }

        @Override
        public short replicationFactor() {
            return 1;
        }

        @Override
        public int minInsyncReplicas() {
            return 1;
        }

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

    @Override
    public void close() {
        producer.close();
    }
}
