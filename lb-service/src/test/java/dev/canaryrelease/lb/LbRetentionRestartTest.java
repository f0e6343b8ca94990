package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbInfraResource.a;
import static dev.canaryrelease.lb.LbInfraResource.b;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.StateFold;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.messaging.LbSnapshots;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventRetention;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * lb-service's wanted states outlive the event topics' retention (issue 14, point 2). Before the
 * app starts, on the real broker and the two real HAProxy instances:
 *
 * <ol>
 *   <li>History as deploy-service and lb-service write it: docker0 was drained for a swap (its last
 *       event {@code host.drained}: maint), docker1 was put in maint by a failed enable (its last
 *       event {@code host.enable-failed}), docker2 was put back (its last event {@code
 *       host.enabled}); before them, many old cycles that ended with all three enabled.
 *   <li>An earlier lb-service run: its snapshot class ({@link LbSnapshots}) starts from whatever
 *       snapshot the broker holds, the events after its positions are folded exactly as the state
 *       consumer folds them ({@link StateFold}), and the snapshot is written.
 *   <li>Retention: every record of every {@code *.events} topic is deleted ({@code
 *       Admin.deleteRecords}).
 *   <li>HAProxy as the earlier run left it: docker0 and docker1 in maint.
 * </ol>
 *
 * Then both instances reload (runtime states come back from the configuration: every server ready).
 * Without the snapshot the restarted lb-service would know nothing to put back; with it, docker0
 * and docker1 go back to maint and docker2 stays in rotation.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbRetentionRestartTest.History.class)
class LbRetentionRestartTest {
    static final Duration EVENT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "d".repeat(64);

    static EventSender deploy;
    static EventCapture capture;

    /** The infrastructure of {@link LbInfraResource}, then the history, snapshot and retention. */
    public static class History extends LbInfraResource {
        static final String SWAPPING = UUID.randomUUID().toString();
        static final String FAILED = UUID.randomUUID().toString();
        static final String BACK = UUID.randomUUID().toString();
        static volatile int earlierRunServers = -1;

        @Override
        public Map<String, String> start() {
            Map<String, String> config = super.start();
            String bootstrap = KafkaTestResource.bootstrapServers();
            new TopicGuard(
                            KafkaTestResource.clientConfig(KafkaPrincipals.BROKER),
                            new TopicCatalogue(EventSender.SingleBrokerTopics.INSTANCE),
                            Duration.ofSeconds(30))
                    .ensure(
                            List.of(
                                    Topics.LB,
                                    Topics.DEPLOY,
                                    Topics.LB_SERVERS,
                                    Topics.deadLetter("lb-in"),
                                    Topics.deadLetter("lb-state")));
            try (EventSender lb = new EventSender(bootstrap, "lb-service");
                    EventSender dep = new EventSender(bootstrap, "deploy-service")) {
                for (int i = 0; i < 50; i++) {
                    String old = UUID.randomUUID().toString();
                    for (String host : List.of("docker0", "docker1", "docker2")) {
                        cycle(dep, lb, old, host, true);
                    }
                }
                // docker0: drained, deploy-service is swapping it
                var swap =
                        dep.send(
                                new HostUpdateRequested(
                                        SWAPPING, "example", "docker0", Stage.CANARY, DIGEST));
                lb.send(
                        swap,
                        new HostDrained(SWAPPING, "example", "docker0", Stage.CANARY, 0, 4, false));
                // docker1: swapped, but it never came UP: put in maint by the failed enable
                var req =
                        dep.send(
                                new HostUpdateRequested(
                                        FAILED, "example", "docker1", Stage.CANARY, DIGEST));
                var drained =
                        lb.send(
                                req,
                                new HostDrained(
                                        FAILED, "example", "docker1", Stage.CANARY, 0, 2, false));
                var updated =
                        dep.send(
                                drained,
                                new HostUpdated(
                                        FAILED, "example", "docker1", Stage.CANARY, DIGEST, null));
                lb.send(
                        updated,
                        new HostEnableFailed(
                                FAILED, "example", "docker1", Stage.CANARY, "never came UP"));
                // docker2: its cycle ended back in rotation
                cycle(dep, lb, BACK, "docker2", true);
            }
            earlierRun();
            EventRetention.deleteEventRecords();
            for (HaproxyServer h : List.of(a, b)) {
                h.command("set server " + BACKEND + "/docker0 state maint");
                h.command("set server " + BACKEND + "/docker1 state maint");
            }
            return config;
        }

        static void cycle(
                EventSender dep, EventSender lb, String release, String host, boolean enabled) {
            var req =
                    dep.send(
                            new HostUpdateRequested(
                                    release, "example", host, Stage.PROMOTION, DIGEST));
            var drained =
                    lb.send(
                            req,
                            new HostDrained(
                                    release, "example", host, Stage.PROMOTION, 0, 1, false));
            var updated =
                    dep.send(
                            drained,
                            new HostUpdated(
                                    release, "example", host, Stage.PROMOTION, DIGEST, null));
            if (enabled) {
                lb.send(updated, new HostEnabled(release, "example", host, Stage.PROMOTION));
            }
        }

        /**
         * lb-service's snapshot class as the service runs it, and the state consumer's fold of the
         * topics after the snapshot's positions (read here with a plain consumer as lb-service).
         */
        static void earlierRun() {
            Map<String, Object> kafka = KafkaTestResource.clientConfig("lb-service");
            WantedStates wanted = new WantedStates();
            LbSnapshots snapshots =
                    new LbSnapshots(kafka, EventSender.SingleBrokerTopics.INSTANCE, wanted);
            snapshots.open();
            try (KafkaConsumer<String, byte[]> c =
                    SnapshotTopic.consumer(kafka, "lb-earlier-run", 1024 * 1024)) {
                List<TopicPartition> parts = new java.util.ArrayList<>();
                for (String t : List.of(Topics.LB, Topics.DEPLOY)) {
                    c.partitionsFor(t)
                            .forEach(p -> parts.add(new TopicPartition(t, p.partition())));
                }
                c.assign(parts);
                Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts));
                for (TopicPartition tp : parts) {
                    Optional<Long> at = snapshots.resumeAt(tp.topic(), tp.partition());
                    if (at.isPresent()) {
                        c.seek(tp, at.get());
                    } else {
                        c.seekToBeginning(List.of(tp));
                    }
                }
                while (!SnapshotTopic.caughtUp(c, end)) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        Optional<EventEnvelope<CanaryEvent>> e;
                        try {
                            e = CloudEventCodec.decode(r.headers(), r.value());
                        } catch (RuntimeException poison) {
                            e = Optional.empty();
                        }
                        wanted.fold()
                                .apply(
                                        r.topic(),
                                        r.partition(),
                                        r.offset(),
                                        e,
                                        (app, host) ->
                                                app.equals("example")
                                                        ? Optional.of(new ServerKey(BACKEND, host))
                                                        : Optional.empty());
                    }
                }
            }
            snapshots.flush();
            earlierRunServers =
                    (int)
                            List.of("docker0", "docker1", "docker2").stream()
                                    .filter(
                                            h ->
                                                    wanted.fold()
                                                            .wanted(new ServerKey(BACKEND, h))
                                                            .isPresent())
                                    .count();
            snapshots.close();
        }
    }

    @BeforeAll
    static void start() {
        deploy = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.LB);
    }

    @AfterAll
    static void stop() {
        deploy.close();
        capture.close();
    }

    @Test
    void afterRetentionAServerInMaintAndADrainedOneStayOutOfRotationThroughAReload() {
        assertEquals(3, History.earlierRunServers, "the earlier run's snapshot");
        // ready once the replay from the snapshot's positions reached the end offsets
        Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(100))
                .untilAsserted(
                        () ->
                                given().get("/q/health/ready")
                                        .then()
                                        .statusCode(200)
                                        .body("checks.name", hasItem("lb-events-replay")));
        // what an operator sees: the wanted states came back without the events
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/pools")
                .then()
                .statusCode(200)
                .body("[0].backends[0].servers.find { it.name == 'docker0' }.wanted", is("maint"))
                .body("[0].backends[0].servers.find { it.name == 'docker1' }.wanted", is("maint"))
                .body("[0].backends[0].servers.find { it.name == 'docker2' }.wanted", is("ready"));

        // both instances reload: every runtime state comes back ready from the configuration
        for (HaproxyServer h : List.of(a, b)) {
            long pid = h.pid();
            h.reload();
            assertTrue(h.pid() != pid, "reloaded");
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(
                        () -> {
                            LbServiceTest.assertStatusOnBoth("docker0", "MAINT");
                            LbServiceTest.assertStatusOnBoth("docker1", "MAINT");
                        });
        for (String[] s :
                List.of(
                        new String[] {"docker0", History.SWAPPING},
                        new String[] {"docker1", History.FAILED})) {
            capture.await(
                    e ->
                            e.data() instanceof LbDriftCorrected c
                                    && c.server().equals(s[0])
                                    && c.wanted().equals("maint")
                                    && c.releaseId().equals(s[1]),
                    EVENT);
        }
        // a full reconciliation later, they are still out and docker2 is still in rotation
        Awaitility.await()
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(4))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(
                        () -> {
                            LbServiceTest.assertStatusOnBoth("docker0", "MAINT");
                            LbServiceTest.assertStatusOnBoth("docker1", "MAINT");
                            LbServiceTest.assertStatusOnBoth("docker2", "UP");
                        });

        // the releases go on: each host is put back (and the next test class finds them ready)
        for (String[] r :
                List.of(
                        new String[] {History.SWAPPING, "docker0"},
                        new String[] {History.FAILED, "docker1"})) {
            EventEnvelope<HostUpdated> up =
                    deploy.send(new HostUpdated(r[0], "example", r[1], Stage.CANARY, DIGEST, null));
            capture.await(
                    e -> e.type() == EventType.HOST_ENABLED && up.id().equals(e.causationId()),
                    EVENT);
            LbServiceTest.assertStatusOnBoth(r[1], "UP");
        }
    }
}
