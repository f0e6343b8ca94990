package dev.canaryrelease.events.snapshot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.canaryrelease.events.codec.CloudEventCodec;

/**
 * The Kafka side of a service's snapshot in compacted topics ({@code Topics.SNAPSHOTS}), shared by
 * the gateway, deploy-service and lb-service: plain clients built from the service's own {@code
 * kafka.*} settings (so they reach the broker as its principal, like its channels), a durable
 * producer ({@code acks=all}, idempotent; transactional when given a transactional id, so a
 * snapshot's records become visible all at once), reading a topic whole from its beginning to the
 * end it had when the read started, and reading one record at an offset.
 *
 * <p>Values are JSON ({@link CloudEventCodec#JSON}). What the records mean is each service's own.
 */
public final class SnapshotTopic implements AutoCloseable {
    /** How long one read or one acknowledgement may take. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final KafkaProducer<String, byte[]> producer;
    private final boolean transactional;

    /**
     * A producer for the service's snapshot topics.
     *
     * @param kafka the service's Kafka client settings (the {@code default-kafka-broker} map)
     * @param clientId the producer's client id
     * @param transactionalId null for plain idempotent writes; otherwise {@link #inTransaction}
     *     commits each snapshot as one (the principal needs WRITE on this transactional id, see
     *     {@code KafkaPrincipals})
     */
    public SnapshotTopic(Map<String, Object> kafka, String clientId, String transactionalId) {
        Map<String, Object> p = clientConfig(kafka, ProducerConfig.configNames());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // a snapshot record may hold a release's whole timeline
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        transactional = transactionalId != null;
        if (transactional) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        producer = new KafkaProducer<>(p);
        if (transactional) {
            producer.initTransactions();
        }
    }

    /** The settings of {@code kafka} a client with these {@code known} settings takes. */
    public static Map<String, Object> clientConfig(Map<String, Object> kafka, Set<String> known) {
        Map<String, Object> c = new HashMap<>();
        kafka.forEach(
                (k, v) -> {
                    if (known.contains(k)) c.put(k, v);
                });
        return c;
    }

    /**
     * A consumer of the service's principal that only assigns and seeks (no group, nothing
     * committed), reading committed records only.
     */
    public static KafkaConsumer<String, byte[]> consumer(
            Map<String, Object> kafka, String clientId, int fetchBytes) {
        Map<String, Object> c = clientConfig(kafka, ConsumerConfig.configNames());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, fetchBytes);
        return new KafkaConsumer<>(c);
    }

    /** What {@link #readAll} hands over: one record's key and value (null: a tombstone). */
    @FunctionalInterface
    public interface RecordHandler {
        void accept(String key, byte[] value);
    }

    /**
     * Reads {@code topic} from its beginning up to the end it has now, each partition in offset
     * order, and hands every keyed record to {@code handler} (the latest record of a key comes
     * last, so putting each into a map leaves the state).
     */
    public static void readAll(
            Map<String, Object> kafka, String topic, String clientId, RecordHandler handler) {
        try (KafkaConsumer<String, byte[]> c = consumer(kafka, clientId, 4 * 1024 * 1024)) {
            List<TopicPartition> parts = partitions(c, topic);
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts, TIMEOUT));
            long deadline = System.nanoTime() + TIMEOUT.toNanos() * 4;
            while (!caughtUp(c, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read " + topic + " to its end " + end);
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() != null) handler.accept(r.key(), r.value());
                }
            }
        }
    }

    /** True once every partition of {@code end} is read up to its offset there. */
    public static boolean caughtUp(Consumer<?, ?> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) return false;
        }
        return true;
    }

    /** Every partition of {@code topic}; fails for a topic without any. */
    public static List<TopicPartition> partitions(Consumer<?, ?> c, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        List<PartitionInfo> infos = c.partitionsFor(topic, TIMEOUT);
        if (infos != null) {
            for (PartitionInfo p : infos) parts.add(new TopicPartition(topic, p.partition()));
        }
        if (parts.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " has no partitions");
        }
        return parts;
    }

    /** Sends one record (JSON of {@code value}; null: a tombstone). */
    public Future<RecordMetadata> send(String topic, String key, Object value) {
        byte[] bytes = value == null || value instanceof byte[] ? (byte[]) value : json(value);
        return producer.send(new ProducerRecord<>(topic, key, bytes));
    }

    /** Sends what is buffered now. */
    public void flush() {
        producer.flush();
    }

    /**
     * Runs {@code writes} in one transaction and commits it: a reader sees all of its records or
     * none. A failure aborts it and is thrown.
     */
    public void inTransaction(Runnable writes) {
        if (!transactional) throw new IllegalStateException("not a transactional producer");
        producer.beginTransaction();
        try {
            writes.run();
            producer.commitTransaction();
        } catch (RuntimeException e) {
            try {
                producer.abortTransaction();
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    /** Waits for one record's acknowledgement. */
    public static RecordMetadata await(Future<RecordMetadata> f) {
        try {
            return f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("snapshot write failed: " + e.getCause(), e);
        }
    }

    /** The JSON of a snapshot value. */
    public static byte[] json(Object o) {
        try {
            return CloudEventCodec.JSON.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o, e);
        }
    }

    /** Reads a snapshot value; {@code what} names the snapshot in the error. */
    public static <T> T read(byte[] json, Class<T> type, String what) {
        try {
            return CloudEventCodec.JSON.readValue(json, type);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(
                    "unreadable " + type.getSimpleName() + " in " + what + ": " + e, e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
