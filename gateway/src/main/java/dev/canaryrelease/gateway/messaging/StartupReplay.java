package dev.canaryrelease.gateway.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.codec.PoisonEventException;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.gateway.domain.ReleaseStore;

/**
 * The first start's replay (no checkpoint in {@code gateway.releases}: the first start after the
 * upgrade), read by a consumer of its own that merges the event topics by CloudEvent time, so a
 * release's events arrive together and the bounded {@link ReleaseStore} folds each release while it
 * is held, instead of reading it back from {@code gateway.release-details} once per topic (the
 * incoming channel reads the topics a fetch at a time each, so they drift thousands of releases
 * apart and nearly every event missed the cache).
 *
 * <p>It reads every {@code *.events} partition from its first record to its end offset at start, a
 * bounded queue per partition (a full queue pauses its partition), and hands each record to {@link
 * ReadModelListener#apply} as the channel would. A record it cannot take as the channel would (not
 * a CloudEvent, a foreign source, a handler failure) ends the merge of its partition there: the
 * channel then reads that partition from that record on, and dead-letters it as usual. The
 * channel's rebalance listener ({@link ReleaseSnapshots}) waits for the merge and seeks each
 * partition to where it ended. Causal order within a release is the store's ({@code
 * ReleaseStore.place}); the merge's order only keeps the releases together.
 */
@ApplicationScoped
public class StartupReplay {
    private static final Logger LOG = Logger.getLogger(StartupReplay.class);

    /**
     * After {@link ReleaseSnapshots} began to read the index; the merge runs once it is read (and
     * found no checkpoint).
     */
    public static final int PRIORITY = ReleaseSnapshots.PRIORITY + 1;

    /** Records held per partition before it is paused. */
    static final int QUEUE = 1000;

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Where the merge hands each record: the read model (as the channel would) in the service; a
     * recorder in {@code StartupReplayTest}.
     */
    interface Sink {
        /** Folds one event; throwing ends its partition's merge at this record. */
        void apply(EventEnvelope<CanaryEvent> event, ConsumerRecord<String, byte[]> record);

        /** The record is passed (folded, or of a type this version does not know). */
        void passed(ConsumerRecord<String, byte[]> record);
    }

    private final ReleaseSnapshots snapshots;
    private final Sink sink;
    private final Map<String, Object> kafka;
    private final List<String> topics;
    private volatile boolean stopped;

    @Inject
    public StartupReplay(
            ReleaseSnapshots snapshots,
            ReadModelListener listener,
            ReleaseStore store,
            ReplayTracker replay,
            @Identifier("default-kafka-broker") Map<String, Object> kafka,
            @ConfigProperty(name = "mp.messaging.incoming.gateway-in.topics") String topics) {
        this(
                snapshots,
                kafka,
                List.of(topics.split("\\s*,\\s*")),
                new Sink() {
                    @Override
                    public void apply(
                            EventEnvelope<CanaryEvent> e, ConsumerRecord<String, byte[]> r) {
                        listener.apply(e, r.topic(), r.partition(), r.offset(), r.value());
                    }

                    @Override
                    public void passed(ConsumerRecord<String, byte[]> r) {
                        store.passed(r.topic(), r.partition(), r.offset());
                        replay.read(r.topic(), r.partition(), r.offset());
                    }
                });
    }

    StartupReplay(
            ReleaseSnapshots snapshots, Map<String, Object> kafka, List<String> topics, Sink sink) {
        this.snapshots = snapshots;
        this.kafka = kafka;
        this.topics = List.copyOf(topics);
        this.sink = sink;
    }

    void onStart(@Observes @Priority(PRIORITY) StartupEvent event) {
        // the channel waits for this, which completes once the index is read: at once on a
        // restart (the channel replays what came after the checkpoint), after the merge on a
        // first start
        CompletableFuture<Map<String, Long>> done = new CompletableFuture<>();
        snapshots.resumeAfter(done);
        snapshots
                .loaded()
                .whenComplete(
                        (v, failed) -> {
                            if (failed != null || !snapshots.checkpoint().isEmpty()) {
                                done.complete(Map.of());
                            } else {
                                merge(done);
                            }
                        });
    }

    private void merge(CompletableFuture<Map<String, Long>> done) {
        Thread t =
                new Thread(
                        () -> {
                            Map<String, Long> next = new HashMap<>();
                            try {
                                run(next);
                            } catch (RuntimeException e) {
                                LOG.warnf(
                                        "the merged start-up replay stopped (%s): the channel"
                                                + " reads on from %s",
                                        e.toString(), next);
                            } finally {
                                done.complete(next);
                            }
                        },
                        "gateway-startup-replay");
        t.setDaemon(true);
        t.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
    }

    /**
     * One record read and decoded (event null: a type this version does not know, or, when {@code
     * poison}, a record the channel must read: either goes as soon as it is a partition's head).
     */
    private record Read(
            ConsumerRecord<String, byte[]> record,
            EventEnvelope<CanaryEvent> event,
            boolean poison) {
        Instant time() {
            return event == null ? Instant.MIN : event.time();
        }
    }

    /**
     * Merges the partitions to their end offsets at start; {@code next} gets, per {@code
     * topic:partition}, the offset the channel goes on from.
     */
    void run(Map<String, Long> next) {
        long t0 = System.nanoTime();
        long applied = 0;
        try (KafkaConsumer<String, byte[]> c =
                SnapshotTopic.consumer(kafka, "gateway-startup-replay", 256 * 1024)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                var infos = c.partitionsFor(t, TIMEOUT);
                if (infos != null) {
                    infos.forEach(i -> parts.add(new TopicPartition(t, i.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
            Map<TopicPartition, ArrayDeque<Read>> queues = new HashMap<>();
            Set<TopicPartition> ended = new HashSet<>(); // merge over: read to its end, or given up
            Set<TopicPartition> paused = new HashSet<>();
            for (TopicPartition tp : parts) {
                queues.put(tp, new ArrayDeque<>());
                next.put(key(tp), c.position(tp, TIMEOUT));
            }
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!stopped) {
                // a partition is done when its queue is empty and it was read to its end
                boolean needPoll = false;
                for (TopicPartition tp : parts) {
                    if (ended.contains(tp) || !queues.get(tp).isEmpty()) continue;
                    if (c.position(tp, TIMEOUT) >= end.get(tp)) {
                        ended.add(tp);
                        next.put(key(tp), c.position(tp, TIMEOUT));
                    } else {
                        needPoll = true;
                    }
                }
                if (ended.size() == parts.size()) break;
                if (needPoll) {
                    List<TopicPartition> pause = new ArrayList<>();
                    List<TopicPartition> resume = new ArrayList<>();
                    for (TopicPartition tp : parts) {
                        boolean full = ended.contains(tp) || queues.get(tp).size() >= QUEUE;
                        if (full && paused.add(tp)) pause.add(tp);
                        if (!full && paused.remove(tp)) resume.add(tp);
                    }
                    c.pause(pause);
                    c.resume(resume);
                    boolean got = false;
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (ended.contains(tp)) continue;
                        got = true;
                        queues.get(tp).add(decode(r));
                    }
                    if (got) {
                        deadline = System.nanoTime() + TIMEOUT.toNanos();
                    } else if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                                "nothing read for " + TIMEOUT.toSeconds() + " s");
                    }
                    continue; // every partition needs its head before the earliest can go
                }
                // every partition has a head or is done: the earliest goes
                TopicPartition best = null;
                for (TopicPartition tp : parts) {
                    if (ended.contains(tp)) continue;
                    Read head = queues.get(tp).peek();
                    if (best == null || head.time().isBefore(queues.get(best).peek().time())) {
                        best = tp;
                    }
                }
                Read r = queues.get(best).poll();
                ConsumerRecord<String, byte[]> rec = r.record();
                if (r.poison()) {
                    giveUp(best, rec.offset(), queues, ended, next, "dead letter");
                    continue;
                }
                if (r.event() != null) {
                    try {
                        sink.apply(r.event(), rec);
                    } catch (RuntimeException e) {
                        giveUp(best, rec.offset(), queues, ended, next, e.toString());
                        continue;
                    }
                    applied++;
                }
                sink.passed(rec);
                next.put(key(best), rec.offset() + 1);
            }
        }
        LOG.infof(
                "merged start-up replay: %d events folded in %d ms; the channel goes on from %s",
                applied, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), next);
    }

    /**
     * Reads a record as the channel would; poison when the channel would dead-letter it (the
     * channel reads that record itself).
     */
    private static Read decode(ConsumerRecord<String, byte[]> r) {
        Optional<EventEnvelope<CanaryEvent>> e;
        try {
            e = CloudEventCodec.decode(r.headers(), r.value());
        } catch (PoisonEventException ex) {
            return new Read(r, null, true);
        }
        if (e.isPresent() && EventInbox.foreignSource(r.topic(), e.get()).isPresent()) {
            return new Read(r, null, true);
        }
        return new Read(r, e.orElse(null), false);
    }

    /** The channel reads {@code tp} from {@code offset} on (it dead-letters what must be). */
    private static void giveUp(
            TopicPartition tp,
            long offset,
            Map<TopicPartition, ArrayDeque<Read>> queues,
            Set<TopicPartition> ended,
            Map<String, Long> next,
            String why) {
        LOG.infof(
                "merged start-up replay: %s at offset %d (%s): the channel reads it on from there",
                key(tp), offset, why);
        queues.get(tp).clear();
        ended.add(tp);
        next.put(key(tp), offset);
    }

    private static String key(TopicPartition tp) {
        return tp.topic() + ":" + tp.partition();
    }
}
