package dev.canaryrelease.gateway.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue;

import dev.canaryrelease.events.codec.CloudEventCodec;

/**
 * Reads the suite's dead-letter topics for operators: the newest records first, a bounded page at a
 * time. Each read is a short-lived consumer that only assigns and seeks (no consumer group, no
 * commit), built from the service's own Kafka client settings ({@code kafka.*}), so it reaches the
 * broker as the channels do. Only the newest {@code limit} records before the cursor of each
 * partition are fetched: a page costs the same whatever the topics hold.
 */
@ApplicationScoped
public class DeadLetterReader {
    /** Characters of a record's value shown (its size is always given). */
    public static final int VALUE_SHOWN = 1024;

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    /** One dead-lettered record as an operator reads it. */
    public record DeadLetter(
            String deadLetterTopic,
            int partition,
            long offset,
            Instant time,
            String key,
            String reason,
            String cause,
            String exception,
            String originalTopic,
            Integer originalPartition,
            Long originalOffset,
            String type,
            String releaseId,
            int valueBytes,
            String value) {}

    /** A page, newest first; {@code next} is the cursor of the next (older) page, or null. */
    public record Page(List<DeadLetter> deadLetters, Long next) {}

    /** The broker cannot be read. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Map<String, Object> kafka;

    public DeadLetterReader(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.kafka = kafka;
    }

    /**
     * The newest {@code limit} records of {@code topics} written before {@code before} (epoch
     * milliseconds, exclusive; null: up to now).
     */
    public Page read(List<String> topics, int limit, Long before) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(limit, 10));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-dead-letters");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        List<DeadLetter> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            Map<String, List<PartitionInfo>> existing = consumer.listTopics(READ_TIMEOUT);
            for (String t : topics) {
                for (PartitionInfo p : existing.getOrDefault(t, List.of())) {
                    partitions.add(new TopicPartition(t, p.partition()));
                }
            }
            if (partitions.isEmpty()) {
                return new Page(List.of(), null);
            }
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, READ_TIMEOUT);
            Map<TopicPartition, Long> end =
                    new HashMap<>(consumer.endOffsets(partitions, READ_TIMEOUT));
            if (before != null) {
                Map<TopicPartition, Long> at = new HashMap<>();
                partitions.forEach(tp -> at.put(tp, before));
                Map<TopicPartition, OffsetAndTimestamp> first =
                        consumer.offsetsForTimes(at, READ_TIMEOUT);
                first.forEach(
                        (tp, o) -> {
                            if (o != null) end.put(tp, o.offset());
                        });
            }
            Map<TopicPartition, Long> todo = new HashMap<>();
            for (TopicPartition tp : partitions) {
                long from = Math.max(begin.get(tp), end.get(tp) - limit);
                if (from < end.get(tp)) {
                    todo.put(tp, from);
                }
            }
            consumer.assign(todo.keySet());
            todo.forEach(consumer::seek);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!todo.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long stop = end.get(tp);
                    if (todo.containsKey(tp) && r.offset() < stop) {
                        found.add(view(r));
                    }
                }
                todo.keySet().removeIf(tp -> consumer.position(tp) >= end.get(tp));
            }
            if (!todo.isEmpty()) {
                throw new Unavailable("dead letters not readable within " + READ_TIMEOUT, null);
            }
        } catch (KafkaException e) {
            throw new Unavailable("dead letters not readable: " + e.getMessage(), e);
        }
        found.sort(
                Comparator.comparing(DeadLetter::time)
                        .thenComparing(DeadLetter::offset)
                        .reversed());
        List<DeadLetter> page = found.size() > limit ? found.subList(0, limit) : found;
        Long next =
                found.size() >= limit && !page.isEmpty()
                        ? page.get(page.size() - 1).time().toEpochMilli()
                        : null;
        return new Page(List.copyOf(page), next);
    }

    static DeadLetter view(ConsumerRecord<String, byte[]> r) {
        Headers h = r.headers();
        byte[] v = r.value() == null ? new byte[0] : r.value();
        String value = new String(v, StandardCharsets.UTF_8);
        if (value.length() > VALUE_SHOWN) {
            value = value.substring(0, VALUE_SHOWN) + "…";
        }
        String partition = header(h, KafkaDeadLetterQueue.DEAD_LETTER_PARTITION);
        String offset = header(h, KafkaDeadLetterQueue.DEAD_LETTER_OFFSET);
        return new DeadLetter(
                r.topic(),
                r.partition(),
                r.offset(),
                Instant.ofEpochMilli(r.timestamp()),
                r.key(),
                header(h, KafkaDeadLetterQueue.DEAD_LETTER_REASON),
                header(h, KafkaDeadLetterQueue.DEAD_LETTER_CAUSE),
                header(h, KafkaDeadLetterQueue.DEAD_LETTER_EXCEPTION_CLASS_NAME),
                header(h, KafkaDeadLetterQueue.DEAD_LETTER_TOPIC),
                partition == null ? null : Integer.valueOf(partition),
                offset == null ? null : Long.valueOf(offset),
                header(h, CloudEventCodec.H_TYPE),
                header(h, CloudEventCodec.H_SUBJECT),
                v.length,
                value);
    }

    private static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null
                ? null
                : new String(h.value(), StandardCharsets.UTF_8);
    }
}
