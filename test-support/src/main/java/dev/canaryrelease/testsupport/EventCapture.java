package dev.canaryrelease.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * Reads topics from their beginning with a plain Kafka consumer, as a monitoring tool would, and
 * keeps every record for assertions. Poll with {@link #await}; never sleep. It reads as the
 * read-only {@code monitor} principal.
 */
public final class EventCapture implements AutoCloseable {
    /** One record as read from Kafka, with its decoded CloudEvent when it is one. */
    public record Captured(
            ConsumerRecord<String, byte[]> record,
            Optional<EventEnvelope<CanaryEvent>> event,
            java.time.Instant receivedAt) {
        public String header(String name) {
            var h = record.headers().lastHeader(name);
            return h == null
                    ? null
                    : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Captured> records = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final CountDownLatch assigned = new CountDownLatch(1);
    private volatile boolean running = true;

    private EventCapture(String bootstrap, List<String> topics) {
        Properties p = new Properties();
        p.putAll(KafkaClients.config(bootstrap, KafkaPrincipals.MONITOR));
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // the monitor principal may join only groups named monitor-…
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "monitor-capture-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(p);
        consumer.subscribe(
                topics,
                new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(
                            java.util.Collection<org.apache.kafka.common.TopicPartition> parts) {}

                    @Override
                    public void onPartitionsAssigned(
                            java.util.Collection<org.apache.kafka.common.TopicPartition> parts) {
                        assigned.countDown();
                    }
                });
        thread = new Thread(this::loop, "event-capture");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts reading {@code topics} from their beginning. */
    public static EventCapture start(String bootstrap, String... topics) {
        EventCapture c = new EventCapture(bootstrap, List.of(topics));
        try {
            c.assigned.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return c;
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    Optional<EventEnvelope<CanaryEvent>> e;
                    try {
                        e = CloudEventCodec.decode(r.headers(), r.value());
                    } catch (RuntimeException ex) {
                        e = Optional.empty();
                    }
                    records.add(new Captured(r, e, java.time.Instant.now()));
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    /** Every record read so far. */
    public List<Captured> records() {
        return new ArrayList<>(records);
    }

    /** Every decoded event read so far. */
    public List<EventEnvelope<CanaryEvent>> events() {
        return records.stream().flatMap(c -> c.event().stream()).toList();
    }

    /** Decoded events of one release, in the order read. */
    public List<EventEnvelope<CanaryEvent>> events(String releaseId) {
        return events().stream().filter(e -> e.releaseId().equals(releaseId)).toList();
    }

    /** Waits until an event matches; fails the test after {@code timeout}. */
    public EventEnvelope<CanaryEvent> await(
            Predicate<EventEnvelope<CanaryEvent>> match, Duration timeout) {
        return Awaitility.await()
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> events().stream().filter(match).findFirst(), Optional::isPresent)
                .get();
    }

    /** Waits for an event of {@code type} of release {@code releaseId}. */
    public <T extends CanaryEvent> EventEnvelope<T> await(
            String releaseId, EventType type, Duration timeout) {
        @SuppressWarnings("unchecked")
        EventEnvelope<T> e =
                (EventEnvelope<T>)
                        await(x -> x.type() == type && x.releaseId().equals(releaseId), timeout);
        return e;
    }

    /** Waits for a raw record (decoded or not) that matches. */
    public Captured awaitRecord(Predicate<Captured> match, Duration timeout) {
        return Awaitility.await()
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> records.stream().filter(match).findFirst(), Optional::isPresent)
                .get();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
