package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbInfraResource.a;
import static dev.canaryrelease.lb.LbInfraResource.b;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * lb-service restarted in the middle of a release (issue 14, point 7). Before the app starts, the
 * real broker holds what a previous lb-service left behind, and the real HAProxy instances are in
 * the state it left them in:
 *
 * <ul>
 *   <li>a long history of drain/enable cycles of docker0 and docker1 on {@code lb.events}, ending
 *       with them enabled (so a reconciler that acts mid-replay sees "ready" wanted);
 *   <li>docker0: its drain was in progress (a {@code host.update-requested} on {@code
 *       deploy.events} without answer, the server in DRAIN on both instances, a session still
 *       open);
 *   <li>docker1: drained for a swap (its last event is {@code host.drained}, the server in MAINT).
 * </ul>
 *
 * A sampler reads both instances every 10 ms from before the start to the end: neither server is
 * ever seen UP, the interrupted drain completes (forced at the deadline by the open session), and
 * the release then goes on.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbRestartMidDrainTest.History.class)
class LbRestartMidDrainTest {
    static final Duration EVENT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "b".repeat(64);
    static final int OLD_CYCLES = 600;

    static EventSender deploy;
    static EventCapture capture;

    /**
     * The infrastructure of {@link LbInfraResource}, then the history and states, then a sampler.
     */
    public static class History extends LbInfraResource {
        static final String DRAINING = UUID.randomUUID().toString();
        static final String SWAPPING = UUID.randomUUID().toString();
        static EventEnvelope<HostUpdateRequested> drainRequest;
        static final Set<String> seenUp = ConcurrentHashMap.newKeySet();
        static volatile boolean sampling;
        static Thread sampler;

        @Override
        public Map<String, String> start() {
            Map<String, String> config = super.start();
            String bootstrap = KafkaTestResource.bootstrapServers();
            try (EventSender lb = new EventSender(bootstrap, "lb-service");
                    EventSender dep = new EventSender(bootstrap, "deploy-service")) {
                for (int i = 0; i < OLD_CYCLES; i++) {
                    String old = UUID.randomUUID().toString();
                    for (String host : List.of("docker0", "docker1")) {
                        lb.send(
                                new HostDrained(
                                        old, "example", host, Stage.PROMOTION, 0, 1, false));
                        lb.send(new HostEnabled(old, "example", host, Stage.PROMOTION));
                    }
                }
                // docker1: drained, deploy-service is swapping it.
                EventEnvelope<HostUpdateRequested> swap =
                        dep.send(
                                new HostUpdateRequested(
                                        SWAPPING, "example", "docker1", Stage.CANARY, DIGEST));
                lb.send(
                        swap,
                        new HostDrained(SWAPPING, "example", "docker1", Stage.CANARY, 0, 3, false));
                // docker0: its drain was under way when lb-service stopped.
                drainRequest =
                        dep.send(
                                new HostUpdateRequested(
                                        DRAINING, "example", "docker0", Stage.CANARY, DIGEST));
            }
            holdSession(a, "docker0");
            for (HaproxyServer h : List.of(a, b)) {
                h.command("set server " + BACKEND + "/docker0 state drain");
                h.command("set server " + BACKEND + "/docker1 state maint");
            }
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(
                            () ->
                                    List.of(a, b).stream()
                                            .allMatch(
                                                    h ->
                                                            "DRAIN"
                                                                            .equals(
                                                                                    h.serverStatus()
                                                                                            .get(
                                                                                                    "docker0"))
                                                                    && "MAINT"
                                                                            .equals(
                                                                                    h.serverStatus()
                                                                                            .get(
                                                                                                    "docker1"))));
            sampling = true;
            sampler = new Thread(History::sample, "ha-sampler");
            sampler.setDaemon(true);
            sampler.start();
            return config;
        }

        private static void sample() {
            while (sampling) {
                for (HaproxyServer h : List.of(a, b)) {
                    try {
                        h.serverStatus()
                                .forEach(
                                        (server, status) -> {
                                            if (!server.equals("docker2")
                                                    && status.startsWith("UP")) {
                                                seenUp.add(
                                                        server
                                                                + " "
                                                                + status
                                                                + " on "
                                                                + h.tcpRuntimeApi());
                                            }
                                        });
                    } catch (RuntimeException e) {
                        // HAProxy stopped at the end of the class
                    }
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** A request pinned to {@code server} that its back end keeps open. */
        private static void holdSession(HaproxyServer h, String server) {
            HttpClient client =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            client.sendAsync(
                    HttpRequest.newBuilder(URI.create(h.frontendUrl() + "/hold"))
                            .header(ROUTE_HEADER, server)
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> backend(server).holding() > 0);
        }

        @Override
        public void stop() {
            sampling = false;
            super.stop();
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
        LbInfraResource.backends.forEach(TestBackend::release);
    }

    @Test
    void aDrainInterruptedByARestartCompletesAndNoServerPutOutIsMadeReady() {
        // The redelivered request resumes the drain: the open session holds it to the deadline.
        @SuppressWarnings("unchecked")
        EventEnvelope<HostDrained> drained =
                (EventEnvelope<HostDrained>)
                        (EventEnvelope<?>)
                                capture.await(
                                        e ->
                                                e.type() == EventType.HOST_DRAINED
                                                        && History.drainRequest
                                                                .id()
                                                                .equals(e.causationId()),
                                        EVENT);
        assertTrue(drained.data().forced(), drained.toString());
        assertEquals(1, drained.data().sessionsAtDrain(), drained.toString());
        // docker0 stays in drain through its swap (HAProxy goes on checking it), which meets the
        // maint its host.drained wants
        LbServiceTest.assertOutOfRotationOnBoth("docker0");
        LbServiceTest.assertStatusOnBoth("docker1", "MAINT");

        // Three full reconciliations later, both are still out of rotation.
        Awaitility.await()
                .during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(
                        () -> {
                            LbServiceTest.assertOutOfRotationOnBoth("docker0");
                            LbServiceTest.assertStatusOnBoth("docker1", "MAINT");
                        });
        assertEquals(Set.of(), History.seenUp, "docker0/docker1 were put back into rotation");
        assertTrue(
                capture.events().stream()
                        .noneMatch(
                                e ->
                                        e.data() instanceof LbDriftCorrected c
                                                && c.wanted().equals("ready")
                                                && !c.server().equals("docker2")),
                "a drift correction raised a server: " + capture.events());
        given().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("checks.name", hasItem("lb-events-replay"));

        // The releases go on: each swapped host is put back (and the next test class finds the
        // wanted states ready).
        History.sampling = false;
        LbInfraResource.backends.forEach(TestBackend::release);
        for (String[] r :
                List.of(
                        new String[] {History.DRAINING, "docker0"},
                        new String[] {History.SWAPPING, "docker1"})) {
            EventEnvelope<HostUpdated> up =
                    deploy.send(new HostUpdated(r[0], "example", r[1], Stage.CANARY, DIGEST, null));
            capture.await(
                    e -> e.type() == EventType.HOST_ENABLED && up.id().equals(e.causationId()),
                    EVENT);
            LbServiceTest.assertStatusOnBoth(r[1], "UP");
        }
    }
}
