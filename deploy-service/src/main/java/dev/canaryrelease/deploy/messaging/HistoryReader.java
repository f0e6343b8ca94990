package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;

import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.ReplayOrder;
import dev.canaryrelease.events.ReplayWatch;
import dev.canaryrelease.events.acl.KafkaClientSecurity;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * Reads the suite's topics from given positions (a snapshot's, or their beginning) up to their
 * current end with a plain consumer (no group, nothing committed), so the deploy service can
 * rebuild every release before it acts.
 */
@ApplicationScoped
public class HistoryReader {
    private static final Logger LOG = Logger.getLogger(HistoryReader.class);

    /** How often a long replay says how far it is. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final String bootstrap;
    private final Map<String, Object> security;
    private final List<String> topics;
    private final Duration timeout;

    @Inject
    public HistoryReader(
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap,
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            DeployConfig config) {
        this(bootstrap, kafka, config.replayTopics(), config.replayTimeout());
    }

    /**
     * Reads {@code topics} as the principal of {@code kafka}; a read that goes {@code timeout}
     * without progress fails (a long one that still moves never does).
     */
    public HistoryReader(
            String bootstrap, Map<String, Object> kafka, List<String> topics, Duration timeout) {
        this.bootstrap = bootstrap;
        this.security = KafkaClientSecurity.of(kafka);
        this.topics = List.copyOf(topics);
        this.timeout = timeout;
    }

    /** Events read, in replay order, and per {@code topic:partition} the next offset after them. */
    public record Chunk(List<EventEnvelope<CanaryEvent>> events, Map<String, Long> next) {}

    /**
     * Every readable event of the replay topics from {@code from} (per {@code topic:partition}, the
     * next offset to read; a partition not named is read from its beginning) up to the end they
     * have now, in {@link ReplayOrder}: each partition in offset order, an event never before its
     * cause, so producers' clock skew cannot reorder a host's drain and its request. A position
     * that retention has already deleted is read from the first record left, with a WARN line.
     * Every 5 s a long read logs how far it is; one that reads nothing for the replay timeout fails
     * with a sentence saying so.
     */
    public Chunk read(Map<String, Long> from) {
        Properties p = new Properties();
        p.putAll(security); // as deploy-service's principal, like its channels
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "deploy-service-replay");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        Map<TopicPartition, List<EventEnvelope<CanaryEvent>>> byPartition =
                new java.util.LinkedHashMap<>();
        Map<String, Long> next = new java.util.LinkedHashMap<>();
        int count = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (infos == null) continue;
                infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            }
            parts.forEach(tp -> byPartition.put(tp, new ArrayList<>()));
            consumer.assign(parts);
            Map<TopicPartition, Long> start = consumer.beginningOffsets(parts);
            for (TopicPartition tp : parts) {
                Long at = from.get(name(tp));
                if (at == null) {
                    consumer.seek(tp, start.get(tp));
                } else {
                    if (at < start.get(tp)) {
                        LOG.warnf(
                                "replay: %s was deleted up to offset %d, beyond the snapshot's %d:"
                                        + " the events in between are lost to this service",
                                name(tp), start.get(tp), at);
                    }
                    consumer.seek(tp, Math.max(at, start.get(tp)));
                }
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<TopicPartition, Long> first = new java.util.HashMap<>();
            for (TopicPartition tp : parts) first.put(tp, consumer.position(tp));
            long total = 0;
            for (TopicPartition tp : parts) total += Math.max(0, end.get(tp) - first.get(tp));
            ReplayWatch watch = new ReplayWatch(timeout, PROGRESS_EVERY, System.nanoTime());
            int skipped = 0;
            while (!caughtUp(consumer, end)) {
                long now = System.nanoTime();
                long done = 0;
                for (TopicPartition tp : parts) done += consumer.position(tp) - first.get(tp);
                watch.progress(done, now);
                if (watch.stalled(now)) {
                    throw new IllegalStateException(
                            "the start-up replay read nothing for "
                                    + watch.idleSeconds(now)
                                    + " s (canary.deploy.replay-timeout="
                                    + timeout
                                    + ": the longest a replay may go without progress) with "
                                    + (total - done)
                                    + " of "
                                    + total
                                    + " records of "
                                    + topics
                                    + " left: is the broker at "
                                    + bootstrap
                                    + " reachable, and may deploy-service read those topics?");
                }
                if (watch.logDue(now)) {
                    LOG.infof(
                            "replay: %d of %d records read (%d%%) in %d s",
                            done,
                            total,
                            total == 0 ? 100 : done * 100 / total,
                            watch.elapsedSeconds(now));
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        var e = CloudEventCodec.decode(r.headers(), r.value());
                        if (e.isPresent()) {
                            byPartition
                                    .get(new TopicPartition(r.topic(), r.partition()))
                                    .add(e.get());
                            count++;
                        }
                    } catch (RuntimeException e) {
                        skipped++;
                    }
                }
            }
            for (TopicPartition tp : parts) next.put(name(tp), end.get(tp));
            if (count > 0 || skipped > 0) {
                LOG.infof(
                        "replay: %d events from %s (%d unreadable records skipped)",
                        count, topics, skipped);
            }
        }
        return new Chunk(ReplayOrder.merge(new ArrayList<>(byPartition.values())), next);
    }

    /** {@code topic:partition}, the positions' key. */
    public static String name(TopicPartition tp) {
        return tp.topic() + ":" + tp.partition();
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) return false;
        }
        return true;
    }
}
