package dev.canaryrelease.gateway.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.codec.PoisonEventException;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * The gateway's first-start merged replay ({@link StartupReplay}) on the real broker (mutual TLS,
 * as every gateway test), on topics of this test's own so that no other test's history is mixed in:
 *
 * <ul>
 *   <li>{@code a} and {@code b}: three releases, each with four events whose times alternate
 *       between the two topics; all of {@code a} is written before any of {@code b}, so offsets
 *       alone would give each release's events apart;
 *   <li>{@code c}: an event, a record that is not a CloudEvent (poison), another event.
 * </ul>
 *
 * The replay's sink records what it is handed; a plain consumer that seeks where the replay says,
 * as the channel's rebalance listener does ({@code ReleaseSnapshots.onPartitionsAssigned}), plays
 * the channel.
 */
class StartupReplayTest {
    static final Instant T0 = Instant.parse("2026-12-03T08:00:00Z");
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
    static final String A = "replay-test-a-" + SUFFIX;
    static final String B = "replay-test-b-" + SUFFIX;
    static final String C = "replay-test-c-" + SUFFIX;

    static Map<String, Object> kafka;
    static EventSender sender;

    /** One record handed to the sink. */
    record Handed(String topic, long offset, String eventId, Instant time, String release) {}

    @BeforeAll
    static void topics() throws Exception {
        kafka = KafkaTestResource.clientConfig(KafkaPrincipals.BROKER);
        try (Admin admin = Admin.create(kafka)) {
            admin.createTopics(
                            List.of(
                                    new NewTopic(A, 1, (short) 1),
                                    new NewTopic(B, 1, (short) 1),
                                    new NewTopic(C, 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        sender =
                new EventSender(
                        KafkaTestResource.bootstrapServers(), "gateway", KafkaPrincipals.BROKER);
    }

    static EventEnvelope<BuildStarted> event(String release, Instant at) {
        BuildStarted data = new BuildStarted(release, "example", "a".repeat(40), null);
        return new EventEnvelope<>(
                UUID.randomUUID().toString(),
                EventType.of(data),
                EventEnvelope.sourceOf("build-service"),
                release,
                at,
                null,
                data);
    }

    static void send(String topic, EventEnvelope<?> e) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
        sender.sendRaw(topic, enc.key(), enc.value(), enc.headers());
    }

    @Test
    void mergesByTimeHandsOverWhereItEndedAndLeavesAPoisonRecordToTheChannel() {
        // history: release r's k-th event at T0 + 4r + k seconds, on a when k is even, else b
        List<String> releases = List.of("r0-" + SUFFIX, "r1-" + SUFFIX, "r2-" + SUFFIX);
        List<EventEnvelope<BuildStarted>> onA = new ArrayList<>();
        List<EventEnvelope<BuildStarted>> onB = new ArrayList<>();
        for (int r = 0; r < releases.size(); r++) {
            for (int k = 0; k < 4; k++) {
                var e = event(releases.get(r), T0.plusSeconds(4L * r + k));
                (k % 2 == 0 ? onA : onB).add(e);
            }
        }
        onA.forEach(e -> send(A, e));
        onB.forEach(e -> send(B, e));
        var beforePoison = event("c-" + SUFFIX, T0.plusSeconds(100));
        var afterPoison = event("c-" + SUFFIX, T0.plusSeconds(101));
        send(C, beforePoison);
        sender.sendRaw(C, "c-" + SUFFIX, "not a CloudEvent".getBytes(), List.of());
        send(C, afterPoison);

        List<Handed> applied = new CopyOnWriteArrayList<>();
        List<String> passed = new CopyOnWriteArrayList<>();
        StartupReplay replay =
                new StartupReplay(
                        null,
                        kafka,
                        List.of(A, B, C),
                        new StartupReplay.Sink() {
                            @Override
                            public void apply(
                                    EventEnvelope<CanaryEvent> e,
                                    ConsumerRecord<String, byte[]> r) {
                                applied.add(
                                        new Handed(
                                                r.topic(),
                                                r.offset(),
                                                e.id(),
                                                e.time(),
                                                e.releaseId()));
                            }

                            @Override
                            public void passed(ConsumerRecord<String, byte[]> r) {
                                passed.add(r.topic() + ":" + r.offset());
                            }
                        });
        Map<String, Long> next = new HashMap<>();
        replay.run(next);

        // merged order: every event in time order, so each release's events come out together
        List<Handed> ours = applied.stream().filter(h -> !h.topic().equals(C)).toList();
        List<String> expected =
                java.util.stream.Stream.concat(onA.stream(), onB.stream())
                        .sorted(Comparator.comparing(EventEnvelope::time))
                        .map(EventEnvelope::id)
                        .toList();
        assertEquals(expected, ours.stream().map(Handed::eventId).toList(), "merged order");
        for (int r = 0; r < releases.size(); r++) {
            String release = releases.get(r);
            assertEquals(
                    List.of(4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3),
                    List.of(
                            ours.indexOf(find(ours, release, 0)),
                            ours.indexOf(find(ours, release, 1)),
                            ours.indexOf(find(ours, release, 2)),
                            ours.indexOf(find(ours, release, 3))),
                    release + "'s events came out together");
        }

        // the poison record ends c's merge at its offset; the event after it is not folded
        assertEquals(
                List.of(beforePoison.id()),
                applied.stream().filter(h -> h.topic().equals(C)).map(Handed::eventId).toList());
        assertEquals(Map.of(A + ":0", 6L, B + ":0", 6L, C + ":0", 1L), next);
        assertEquals(
                List.of(
                        A + ":0", A + ":1", A + ":2", A + ":3", A + ":4", A + ":5", B + ":0",
                        B + ":1", B + ":2", B + ":3", B + ":4", B + ":5", C + ":0"),
                passed.stream().sorted(Comparator.naturalOrder()).toList(),
                "each record before the hand-over passed once");

        // a live event after the replay ended
        var live = event(releases.get(0), T0.plusSeconds(200));
        send(A, live);

        // the channel: seeks where the replay ended and reads on
        Map<String, List<ConsumerRecord<String, byte[]>>> channel = readOnFrom(next);
        assertEquals(
                List.of(live.id()),
                channel.get(A).stream().map(r -> decode(r).id()).toList(),
                "a: only what came after the replay, nothing read twice");
        assertTrue(channel.get(B).isEmpty(), "b: nothing read twice");
        List<ConsumerRecord<String, byte[]>> c = channel.get(C);
        assertEquals(List.of(1L, 2L), c.stream().map(ConsumerRecord::offset).toList());
        // the first record the channel reads on c is the poison, which its inbox dead-letters
        assertThrows(
                PoisonEventException.class,
                () -> CloudEventCodec.decode(c.get(0).headers(), c.get(0).value()));
        assertEquals(afterPoison.id(), decode(c.get(1)).id(), "nothing after it is skipped");
    }

    private static Handed find(List<Handed> handed, String release, int k) {
        Instant at = T0.plusSeconds(4L * Integer.parseInt(release.substring(1, 2)) + k);
        return handed.stream()
                .filter(h -> h.release().equals(release) && h.time().equals(at))
                .findFirst()
                .orElseThrow(() -> new AssertionError(release + " event " + k + " not folded"));
    }

    private static EventEnvelope<CanaryEvent> decode(ConsumerRecord<String, byte[]> r) {
        return CloudEventCodec.decode(r.headers(), r.value()).orElseThrow();
    }

    /** Reads every partition of the three topics from {@code next} to its end. */
    private static Map<String, List<ConsumerRecord<String, byte[]>>> readOnFrom(
            Map<String, Long> next) {
        Map<String, List<ConsumerRecord<String, byte[]>>> read = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c =
                SnapshotTopic.consumer(kafka, "replay-test-channel", 256 * 1024)) {
            List<TopicPartition> parts =
                    List.of(
                            new TopicPartition(A, 0),
                            new TopicPartition(B, 0),
                            new TopicPartition(C, 0));
            c.assign(parts);
            for (TopicPartition tp : parts) {
                c.seek(tp, next.get(tp.topic() + ":" + tp.partition()));
                read.put(tp.topic(), new ArrayList<>());
            }
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!SnapshotTopic.caughtUp(c, end)) {
                assertTrue(System.nanoTime() < deadline, "the channel's read stalled");
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    read.get(r.topic()).add(r);
                }
            }
        }
        return read;
    }
}
