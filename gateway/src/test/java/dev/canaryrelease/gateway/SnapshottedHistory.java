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

    /** Settled releases (PROMOTED or FAILED) the in-memory index keeps, the newest. */
    static final int INDEX = 5;

    /** Releases in one page of {@code gateway.release-pages}. */
    static final int PAGE = 4;

    /** Settled releases written after the audited one, of two apps, before the later ones. */
    static final int SETTLED = 14;

    static final List<String> settled = new ArrayList<>();

    /** The list queries {@link RetentionRestartTest} asks again after the restart. */
    static final List<Map<String, String>> QUERIES =
            List.of(
                    Map.of(),
                    Map.of("app", "example"),
                    Map.of("app", "other"),
                    Map.of("state", "FAILED"),
                    Map.of("app", "example", "state", "PROMOTED"),
                    Map.of("state", "PROMOTED,FAILED"));

    /** Page size of those queries. */
    static final int LIST_SIZE = 3;

    /**
     * The earlier run's answers to {@link #QUERIES}, before the restart: per query, every page's
     * ids (till the first empty page) and the total.
     */
    static final Map<Map<String, String>, List<List<String>>> listsBefore = new HashMap<>();

    static final Map<Map<String, String>, Long> totalsBefore = new HashMap<>();

    /** The earlier run's answer for the oldest settled release (state, commit, timeline length). */
    static volatile String oldestBefore;

    /** Releases the earlier run held in its in-memory index, and in pages, after its last write. */
    static volatile int earlierRunIndexed = -1;

    static volatile long earlierRunPaged = -1;

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
        return Map.of(
                "canary.gateway.cache-releases",
                Integer.toString(CACHE),
                "canary.gateway.index-releases",
                Integer.toString(INDEX),
                "canary.gateway.page-releases",
                Integer.toString(PAGE));
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
            for (int i = 0; i < SETTLED; i++) {
                String id = UUID.randomUUID().toString();
                settled.add(id);
                String app = i % 3 == 0 ? "other" : "example";
                String sha = Github.randomSha();
                var r =
                        gateway.send(
                                new BuildRequested(
                                        id,
                                        app,
                                        "proserveau/example-app",
                                        "https://github.com/proserveau/example-app.git",
                                        "refs/heads/main",
                                        sha,
                                        "octocat",
                                        UUID.randomUUID().toString()));
                deploy.send(
                        r,
                        new ReleasePhaseChanged(
                                id,
                                app,
                                i % 2 == 0 ? Phase.PROMOTED : Phase.FAILED,
                                Phase.BUILDING));
            }
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
        ReleaseStore store =
                new ReleaseStore(FleetLoader.load(TestFleet.write("")), CACHE, 2000, INDEX, PAGE);
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
        earlierRunIndexed = store.settledInMemory();
        earlierRunPaged = store.paged();
        for (Map<String, String> q : QUERIES) {
            java.util.Set<Phase> states = java.util.EnumSet.noneOf(Phase.class);
            if (q.containsKey("state")) {
                for (String x : q.get("state").split(",")) states.add(Phase.valueOf(x));
            }
            List<List<String>> pages = new ArrayList<>();
            for (int page = 0; ; page++) {
                var p = store.list(q.get("app"), states, page, LIST_SIZE);
                totalsBefore.put(q, p.total());
                if (p.items().isEmpty()) {
                    break;
                }
                pages.add(p.items().stream().map(i -> i.id()).toList());
            }
            listsBefore.put(q, pages);
        }
        oldestBefore = describe(store.detail(settled.get(0)).orElseThrow());
        snapshots.close();
    }

    /** What {@link RetentionRestartTest} compares of one release's detail. */
    static String describe(dev.canaryrelease.gateway.domain.Views.ReleaseDetail d) {
        return d.id()
                + " "
                + d.app()
                + " "
                + d.state()
                + " "
                + d.commitSha()
                + " "
                + d.timeline().size()
                + " events";
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
