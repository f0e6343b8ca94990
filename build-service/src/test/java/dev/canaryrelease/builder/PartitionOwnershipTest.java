package dev.canaryrelease.builder;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.builder.messaging.PartitionOwnership;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * Two members of the consumer group {@code build-service} share the apps (issue 19, point 3): the
 * service under test, and a second member (a plain consumer of {@code gateway.events} in the same
 * group, with the service's assignor) that takes its share of the partitions, reads their records
 * and builds and commits nothing, so what it holds is visibly not built by the service. The fleet
 * has one app on each of the six partitions ({@link RealInfra#OWNED_APPS}); every build has a slow
 * step, so the rebalances happen mid-build.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(RealInfra.class)
class PartitionOwnershipTest {
    static final Duration BUILD = Duration.ofSeconds(120);
    static final Duration SETTLE = Duration.ofSeconds(60);

    static EventSender sender;
    static EventCapture capture;

    @Inject PartitionOwnership ownership;

    @BeforeAll
    static void start() {
        sender =
                Kafka.withKafkaLoader(
                        () -> new EventSender(KafkaTestResource.bootstrapServers(), "gateway"));
        capture =
                Kafka.withKafkaLoader(
                        () ->
                                EventCapture.start(
                                        KafkaTestResource.bootstrapServers(), Topics.BUILD));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    /** Another member of build-service's group: it holds partitions and does nothing with them. */
    static final class OtherMember implements AutoCloseable {
        final KafkaConsumer<String, byte[]> consumer;
        final Set<Integer> assigned = new CopyOnWriteArraySet<>();
        final List<String> releasesRead = new CopyOnWriteArrayList<>();
        final Thread poller;
        volatile boolean running = true;

        OtherMember() {
            Properties p = new Properties();
            p.putAll(KafkaTestResource.clientConfig("build-service"));
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "build-service");
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "build-service-other-" + UUID.randomUUID());
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(
                    ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                    CooperativeStickyAssignor.class.getName());
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName());
            consumer = Kafka.withKafkaLoader(() -> new KafkaConsumer<>(p));
            consumer.subscribe(
                    List.of(Topics.GATEWAY),
                    new ConsumerRebalanceListener() {
                        @Override
                        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                            parts.forEach(tp -> assigned.remove(tp.partition()));
                        }

                        @Override
                        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                            parts.forEach(tp -> assigned.add(tp.partition()));
                        }
                    });
            poller =
                    new Thread(
                            () -> {
                                // it reads its partitions' records and acts on none: nothing is
                                // built, nothing committed
                                while (running) {
                                    for (ConsumerRecord<String, byte[]> r :
                                            consumer.poll(Duration.ofMillis(100))) {
                                        read(r);
                                    }
                                }
                                consumer.close(); // leaves the group: a rebalance
                            },
                            "other-build-member");
            poller.start();
        }

        private void read(ConsumerRecord<String, byte[]> r) {
            try {
                CloudEventCodec.decode(r.headers(), r.value())
                        .filter(e -> e.data() instanceof BuildRequested)
                        .ifPresent(e -> releasesRead.add(e.releaseId()));
            } catch (RuntimeException e) {
                // not an event: nothing to note
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            poller.join(30_000);
        }
    }

    /**
     * Waits until the group has settled: every partition is either the service's or the other's.
     */
    Set<Integer> awaitSplit(OtherMember other) {
        Awaitility.await()
                .atMost(SETTLE)
                .until(
                        () -> {
                            Set<Integer> theirs = new TreeSet<>(other.assigned);
                            Set<Integer> mine = ownership.owned();
                            Set<Integer> all = new HashSet<>(theirs);
                            all.addAll(mine);
                            return !theirs.isEmpty()
                                    && !mine.isEmpty()
                                    && all.size() == KafkaTestResource.PARTITIONS
                                    && theirs.size() + mine.size() == KafkaTestResource.PARTITIONS;
                        });
        return new TreeSet<>(other.assigned);
    }

    void awaitAllMine() {
        Awaitility.await()
                .atMost(SETTLE)
                .until(() -> ownership.owned().size() == KafkaTestResource.PARTITIONS);
    }

    @Test
    void eachInstanceBuildsTheAppsOfItsPartitionsAndTheSurvivorBuildsWhatTheOtherHeldOnce()
            throws Exception {
        RealInfra.git.commitApp("v-owned");
        List<String> apps = RealInfra.OWNED_APPS;
        Map<String, String> sha = new LinkedHashMap<>();
        for (String app : apps) {
            sha.put(app, slowCommit(app, "first"));
        }
        Map<String, String> first = new LinkedHashMap<>();
        Map<String, String> second = new LinkedHashMap<>();
        List<String> theirs = new ArrayList<>();
        List<String> mine = new ArrayList<>();

        // 1. the other member holds part of the partitions: the service builds only its own apps
        try (OtherMember other = new OtherMember()) {
            Set<Integer> taken = awaitSplit(other);
            for (String app : apps) {
                (taken.contains(RealInfra.partitionOf(app)) ? theirs : mine).add(app);
            }
            for (String app : theirs) {
                first.put(app, send(app, sha.get(app)));
            }
            for (String app : mine) {
                first.put(app, send(app, sha.get(app)));
            }
            for (String app : mine) {
                awaitSucceeded(first.get(app));
            }
            // the other member was given the requests of its apps, and the service has none
            Awaitility.await()
                    .atMost(SETTLE)
                    .until(
                            () ->
                                    theirs.stream()
                                            .allMatch(
                                                    a ->
                                                            other.releasesRead.contains(
                                                                    first.get(a))));
            for (String app : theirs) {
                String release = first.get(app);
                assertEquals(0, count(release, EventType.BUILD_STARTED), app + " not started");
                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                        .get("/builds/" + release)
                        .then()
                        .statusCode(404);
            }
        }

        // 2. the other member left: the service is given its partitions and builds their apps
        // from the group's committed offsets (the other committed nothing), each once
        awaitAllMine();
        for (String app : theirs) {
            awaitRunning(first.get(app));
        }
        // and a second release of the service's own apps: every app now has a build running
        for (String app : mine) {
            second.put(app, send(app, slowCommit(app, "second")));
        }
        for (String app : mine) {
            awaitRunning(second.get(app));
        }
        Map<String, String> running = new LinkedHashMap<>();
        theirs.forEach(a -> running.put(a, first.get(a)));
        mine.forEach(a -> running.put(a, second.get(a)));

        // 3. another member joins mid-build: the partitions it takes are revoked from the service,
        // whose builds of their apps stop without an outcome; their requests were not committed,
        // so the new member reads them. It then leaves without building: the service builds the
        // lost ones again, and every release has one outcome.
        List<String> lost = new ArrayList<>();
        try (OtherMember other = new OtherMember()) {
            Set<Integer> taken = awaitSplit(other);
            running.forEach(
                    (app, release) -> {
                        if (taken.contains(RealInfra.partitionOf(app))) {
                            lost.add(app);
                        }
                    });
            assertFalse(lost.isEmpty(), "the new member took partitions with builds running");
            Awaitility.await()
                    .atMost(SETTLE)
                    .until(
                            () ->
                                    lost.stream()
                                            .allMatch(
                                                    a ->
                                                            other.releasesRead.contains(
                                                                    running.get(a))));
            for (String app : lost) {
                String release = running.get(app);
                assertEquals(0, outcomes(release), app + ": no outcome from the revoked build");
                // the service forgot the build it stopped: the release is not its own any more
                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                        .get("/builds/" + release)
                        .then()
                        .statusCode(404);
            }
            // the apps that stayed are built meanwhile
            for (String app : running.keySet()) {
                if (!lost.contains(app)) {
                    awaitSucceeded(running.get(app));
                }
            }
            for (String app : lost) {
                assertEquals(0, outcomes(running.get(app)), app + ": not built by the member");
            }
        }
        awaitAllMine();
        for (String app : lost) {
            awaitSucceeded(running.get(app));
        }
        for (String app : apps) {
            assertEquals(1, outcomes(first.get(app)), app + ": one outcome for " + first.get(app));
            if (second.containsKey(app)) {
                assertEquals(1, outcomes(second.get(app)), app + ": one outcome (second)");
            }
        }
        // the stopped builds left no container on the engine
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> RealInfra.engine.docker("ps", "-q").stdout().isBlank());
    }

    /**
     * A commit on the branch of {@code app} whose build has a slow step of its own (the engine's
     * build cache has no layer of it: no two builds of the test share a step).
     */
    static String slowCommit(String app, String round) {
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo slow step started: %s %s %s; exec /bin/busybox sleep 8"]
                        """
                                .formatted(app, round, UUID.randomUUID()),
                        "a slow step for " + app);
        RealInfra.git.pushTo(app);
        return sha;
    }

    static String send(String app, String sha) {
        return sender.send(BuildServiceTest.request(app, sha)).data().releaseId();
    }

    static void awaitSucceeded(String release) {
        EventEnvelope<CanaryEvent> e =
                capture.await(
                        x ->
                                x.releaseId().equals(release)
                                        && (x.type() == EventType.BUILD_SUCCEEDED
                                                || x.type() == EventType.BUILD_FAILED),
                        BUILD);
        assertEquals(EventType.BUILD_SUCCEEDED, e.type(), release + ": " + e.data());
    }

    static void awaitRunning(String release) {
        Awaitility.await()
                .atMost(BUILD)
                .failFast("the build ended", () -> outcomes(release) > 0)
                .until(() -> log(release).contains("slow step started"));
    }

    static String log(String release) {
        return given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release + "/log")
                .body()
                .asString();
    }

    static long count(String release, EventType type) {
        return capture.events(release).stream().filter(e -> e.type() == type).count();
    }

    static long outcomes(String release) {
        return count(release, EventType.BUILD_SUCCEEDED) + count(release, EventType.BUILD_FAILED);
    }
}
