package dev.canaryrelease.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.events.topics.Retention;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsConfig;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.gateway.domain.DeliveryIndex;
import dev.canaryrelease.gateway.domain.ReleaseStore;
import dev.canaryrelease.gateway.messaging.ReleaseSnapshots;
import dev.canaryrelease.testsupport.EventRetention;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * A gateway run, then the event topics' retention, before the gateway under test starts:
 *
 * <ol>
 *   <li>History: a release promoted by an operator with a reason (its audit trail), started by a
 *       webhook delivery, then {@link #LATER} more releases of the same app.
 *   <li>An earlier gateway run: the gateway's own read model and snapshot classes ({@link
 *       ReleaseStore}, {@link ReleaseSnapshots}) read the event topics from the snapshot's
 *       checkpoint (the beginning when there is none), as the channel does, and write the snapshot.
 *       It held at most {@link #CACHE} releases with their timeline.
 *   <li>Retention: every record of every {@code *.events} topic is deleted ({@code
 *       Admin.deleteRecords}).
 * </ol>
 *
 * The gateway under test holds {@link #CACHE} releases with their timeline, so the audited release
 * is far beyond its cache.
 */
public class SnapshottedHistory implements QuarkusTestResourceLifecycleManager {
    static final String RELEASE = UUID.randomUUID().toString();
    static final String DELIVERY = UUID.randomUUID().toString();
    static final String SHA = Github.randomSha();
    static final String DIGEST = "sha256:" + "34".repeat(32);
    static final String OPERATOR = "carol";
    static final String REASON = "error rate flat for 30 min";
    static final int LATER = 12;
    static final int CACHE = 3;
    static final List<String> later = new ArrayList<>();

    /** Releases the earlier run held with their timeline after its last write. */
    static volatile int earlierRunCached = -1;

    @Override
    public Map<String, String> start() {
        String b = KafkaTestResource.bootstrapServers();
        new TopicGuard(
                        KafkaTestResource.clientConfig(KafkaPrincipals.BROKER),
                        new TopicCatalogue(topics()),
                        Duration.ofSeconds(30))
                .ensure(Topics.ALL);
        writeHistory(b);
        earlierRun(b);
        EventRetention.deleteEventRecords();
        return Map.of("canary.gateway.cache-releases", Integer.toString(CACHE));
    }

    private static void writeHistory(String b) {
        try (EventSender gateway = new EventSender(b, "gateway");
                EventSender build = new EventSender(b, "build-service");
                EventSender registry = new EventSender(b, "registry-service");
                EventSender lb = new EventSender(b, "lb-service");
                EventSender deploy = new EventSender(b, "deploy-service")) {
            EventEnvelope<?> req =
                    gateway.send(
                            new BuildRequested(
                                    RELEASE,
                                    "example",
                                    "proserveau/example-app",
                                    "https://github.com/proserveau/example-app.git",
                                    "refs/heads/main",
                                    SHA,
                                    "octocat",
                                    DELIVERY));
            var started = build.send(req, new BuildStarted(RELEASE, "example", SHA, null));
            var built =
                    build.send(
                            started,
                            new BuildSucceeded(
                                    RELEASE,
                                    "example",
                                    "example",
                                    SHA.substring(0, 12),
                                    DIGEST,
                                    900,
                                    null));
            var pushed =
                    registry.send(
                            built,
                            new ImagePushed(
                                    RELEASE, "example", "example", SHA.substring(0, 12), DIGEST));
            var updated =
                    deploy.send(
                            pushed,
                            new HostUpdated(
                                    RELEASE, "example", "docker0", Stage.CANARY, DIGEST, null));
            var enabled =
                    lb.send(updated, new HostEnabled(RELEASE, "example", "docker0", Stage.CANARY));
            var live =
                    deploy.send(
                            enabled,
                            new CanaryLive(RELEASE, "example", List.of("docker0"), DIGEST));
            var promote =
                    gateway.send(
                            live, new PromotionRequested(RELEASE, "example", OPERATOR, REASON));
            deploy.send(
                    promote,
                    new ReleasePromoted(RELEASE, "example", DIGEST, "promoted by " + OPERATOR));
            deploy.send(
                    promote,
                    new ReleasePhaseChanged(RELEASE, "example", Phase.PROMOTED, Phase.PROMOTING));
            for (int i = 0; i < LATER; i++) {
                String id = UUID.randomUUID().toString();
                later.add(id);
                String sha = Github.randomSha();
                var r =
                        gateway.send(
                                new BuildRequested(
                                        id,
                                        "example",
                                        "proserveau/example-app",
                                        "https://github.com/proserveau/example-app.git",
                                        "refs/heads/main",
                                        sha,
                                        "octocat",
                                        UUID.randomUUID().toString()));
                build.send(r, new BuildStarted(id, "example", sha, null));
            }
        }
    }

    /** The gateway's read model and snapshot, fed as its channel feeds them. */
    private static void earlierRun(String b) {
        ReleaseStore store = new ReleaseStore(FleetLoader.load(TestFleet.write("")), CACHE, 2000);
        DeliveryIndex deliveries = new DeliveryIndex(1000);
        ReleaseSnapshots snapshots =
                new ReleaseSnapshots(
                        store, deliveries, KafkaTestResource.clientConfig("gateway"), topics());
        snapshots.open();
        // as the gateway's principal, which reads every event topic
        Map<String, Object> c = new HashMap<>(KafkaTestResource.clientConfig("gateway"));
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : Topics.ALL) {
                consumer.partitionsFor(t)
                        .forEach(p -> parts.add(new TopicPartition(t, p.partition())));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            snapshots.onPartitionsAssigned(consumer, parts); // seeks to the checkpoint, if any
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the earlier run did not read to " + end);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    CloudEventCodec.decode(r.headers(), r.value())
                            .ifPresent(
                                    (EventEnvelope<CanaryEvent> e) ->
                                            store.apply(
                                                    e,
                                                    r.topic()
                                                            + ":"
                                                            + r.partition()
                                                            + ":"
                                                            + r.offset()));
                    store.passed(r.topic(), r.partition(), r.offset());
                }
            }
        }
        snapshots.flush();
        earlierRunCached = store.cached();
        snapshots.close();
    }

    static TopicsConfig topics() {
        return new TopicsConfig() {
            @Override
            public int partitions() {
                return KafkaTestResource.PARTITIONS;
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
        };
    }

    @Override
    public void stop() {}
}
