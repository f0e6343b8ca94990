package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbInfraResource.a;
import static dev.canaryrelease.lb.LbInfraResource.b;
import static dev.canaryrelease.lb.LbInfraResource.backend;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrainFailed;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.LoadLoop;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * lb-service against two real HAProxy instances (one pool) and three real HTTP back ends, driven
 * through Kafka as deploy-service would. Every test leaves all three servers ready and UP.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbInfraResource.class)
class LbServiceTest {
    static final Duration EVENT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "a".repeat(64);

    static EventSender sender;
    static EventCapture capture;

    @BeforeAll
    static void start() {
        sender = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture =
                EventCapture.start(
                        KafkaTestResource.bootstrapServers(),
                        Topics.LB,
                        Topics.deadLetter("lb-in"));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    @AfterEach
    void everyServerBackUp() {
        LbInfraResource.backends.forEach(TestBackend::release);
        Awaitility.await()
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(
                        () -> {
                            for (HaproxyServer h : List.of(a, b)) {
                                assertTrue(
                                        h.serverStatus().values().stream()
                                                .allMatch(s -> s.startsWith("UP")),
                                        "servers of "
                                                + h.tcpRuntimeApi()
                                                + ": "
                                                + h.serverStatus());
                            }
                        });
    }

    // ---- helpers ------------------------------------------------------------------------

    static String release() {
        return UUID.randomUUID().toString();
    }

    static EventEnvelope<HostUpdateRequested> requestDrain(String release, String host) {
        return sender.send(new HostUpdateRequested(release, "example", host, Stage.CANARY, DIGEST));
    }

    static <T extends CanaryEvent> EventEnvelope<T> causedBy(
            EventEnvelope<?> cause, EventType type) {
        @SuppressWarnings("unchecked")
        EventEnvelope<T> e =
                (EventEnvelope<T>)
                        capture.await(
                                x -> x.type() == type && cause.id().equals(x.causationId()), EVENT);
        return e;
    }

    static HostDrained drain(String release, String host) {
        EventEnvelope<HostUpdateRequested> req = requestDrain(release, host);
        EventEnvelope<HostDrained> d = causedBy(req, EventType.HOST_DRAINED);
        return d.data();
    }

    static void enable(String release, String host) {
        EventEnvelope<HostUpdated> up =
                sender.send(new HostUpdated(release, "example", host, Stage.CANARY, DIGEST, null));
        causedBy(up, EventType.HOST_ENABLED);
    }

    static String status(HaproxyServer h, String server) {
        return h.serverStatus().get(server);
    }

    /** "UP" also accepts "UP 1/2": still in rotation, one health check missed on a busy CI. */
    static void assertStatusOnBoth(String server, String status) {
        for (HaproxyServer h : List.of(a, b)) {
            String found = status(h, server);
            assertTrue(
                    status.equals("UP") ? found.startsWith("UP") : status.equals(found),
                    server
                            + " on "
                            + h.tcpRuntimeApi()
                            + ": expected "
                            + status
                            + ", was "
                            + found);
        }
    }

    static AdminState admin(HaproxyServer h, String server) {
        return new HaproxyInstance("x", h.tcpRuntimeApi(), Duration.ofSeconds(2))
                .adminStates()
                .get(new ServerKey(LbInfraResource.BACKEND, server));
    }

    /**
     * Drained for a swap: admin drain (out of rotation) on both instances, forced DOWN and its
     * checks paused until the enable.
     */
    static void assertDrainedOnBoth(String server) {
        for (HaproxyServer h : List.of(a, b)) {
            assertEquals(AdminState.DRAIN, admin(h, server), server + " on " + h.tcpRuntimeApi());
        }
    }

    /** Out of rotation on both instances: admin drain or maint, and not UP in rotation. */
    static void assertOutOfRotationOnBoth(String server) {
        for (HaproxyServer h : List.of(a, b)) {
            AdminState admin = admin(h, server);
            assertTrue(
                    admin == AdminState.DRAIN || admin == AdminState.MAINT,
                    server + " on " + h.tcpRuntimeApi() + ": " + admin);
            assertFalse(status(h, server).startsWith("UP"), status(h, server));
        }
    }

    /** Sends a /hold request pinned to {@code server} through {@code h}; it stays open. */
    static CompletableFuture<HttpResponse<String>> hold(HaproxyServer h, String server) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req =
                HttpRequest.newBuilder(URI.create(h.frontendUrl() + "/hold"))
                        .header(LbInfraResource.ROUTE_HEADER, server)
                        .timeout(Duration.ofSeconds(60))
                        .build();
        CompletableFuture<HttpResponse<String>> f =
                client.sendAsync(req, HttpResponse.BodyHandlers.ofString());
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> backend(server).holding() > 0);
        return f;
    }

    // ---- tests --------------------------------------------------------------------------

    @Test
    void drainSwapAndReadyUnderLoadDropNothing() {
        String release = release();
        try (LoadLoop loadA = LoadLoop.start(a.frontendUrl() + "/", 3, Duration.ofMinutes(2));
                LoadLoop loadB = LoadLoop.start(b.frontendUrl() + "/", 2, Duration.ofMinutes(2))) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> loadA.ok() > 200);

            EventEnvelope<HostUpdateRequested> req = requestDrain(release, "docker1");
            EventEnvelope<HostDrained> drained = causedBy(req, EventType.HOST_DRAINED);
            assertEquals("docker1", drained.data().host());
            assertFalse(drained.data().forced());
            assertDrainedOnBoth("docker1");

            // The container swap: the back end goes away and comes back on the same port.
            TestBackend docker1 = backend("docker1");
            docker1.stop();
            long before = loadA.ok();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> loadA.ok() > before + 200);
            docker1.start();
            long servedBefore = docker1.served();

            EventEnvelope<HostUpdated> updated =
                    sender.send(
                            drained,
                            new HostUpdated(
                                    release, "example", "docker1", Stage.CANARY, DIGEST, null));
            causedBy(updated, EventType.HOST_ENABLED);
            assertStatusOnBoth("docker1", "UP");
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> docker1.served() > servedBefore + 50);

            loadA.close();
            loadB.close();
            assertEquals(0, loadA.bad() + loadB.bad(), "non-2xx: " + loadA + " / " + loadB);
            assertEquals(0, loadA.errors() + loadB.errors(), "errors: " + loadA + " / " + loadB);
            assertTrue(loadA.ok() > 500, loadA.toString());
        }
    }

    @Test
    void longLivedConnectionHoldsTheDrainUntilTheDeadlineThenItIsForced() {
        String release = release();
        hold(a, "docker2");
        assertEquals("1", a.column("scur").get("docker2"));

        HostDrained d = drain(release, "docker2");
        assertTrue(d.forced(), d.toString());
        assertEquals(1, d.sessionsAtDrain(), d.toString());
        assertTrue(d.waitedMs() >= LbInfraResource.DRAIN_DEADLINE_MS, d.toString());
        assertDrainedOnBoth("docker2");
        // the held session was cut by "shutdown sessions server"
        assertEquals("0", a.column("scur").get("docker2"));

        enable(release, "docker2");
    }

    @Test
    void idleDrainIsFastAndNotForced() {
        String release = release();
        HostDrained d = drain(release, "docker2");
        assertFalse(d.forced());
        assertEquals(0, d.sessionsAtDrain());
        assertTrue(d.waitedMs() < 1000, d.toString());
        enable(release, "docker2");
    }

    @Test
    void reloadDuringAndAfterADrainPutsTheWantedStateBackWithinTwoSeconds() {
        String release = release();
        // A session on b keeps the drain waiting while a is reloaded.
        hold(b, "docker0");
        EventEnvelope<HostUpdateRequested> req = requestDrain(release, "docker0");
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> "DRAIN".equals(status(a, "docker0")));

        long oldPid = a.pid();
        a.reload();
        assertTrue(a.pid() != oldPid);
        // Out of rotation again within 2 s (it came back ready from the reload: no state file was
        // written): drain again (the drain, and the swap that follows, keep it in drain).
        Awaitility.await()
                .atMost(Duration.ofSeconds(2))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> admin(a, "docker0") == AdminState.DRAIN);

        EventEnvelope<HostDrained> drained = causedBy(req, EventType.HOST_DRAINED);
        assertTrue(drained.data().forced());
        assertDrainedOnBoth("docker0");

        a.reload();
        long reloadedAt = System.nanoTime();
        // out of rotation again: maint as host.drained wants (or drain, the drain's own decision,
        // if lb-service has not read its event back yet)
        Awaitility.await()
                .atMost(Duration.ofSeconds(2))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> admin(a, "docker0") != AdminState.READY);
        assertTrue(System.nanoTime() - reloadedAt < Duration.ofSeconds(2).toNanos());
        EventEnvelope<CanaryEvent> drift =
                capture.await(
                        e ->
                                e.data() instanceof LbDriftCorrected c
                                        && c.releaseId().equals(release)
                                        && c.loadBalancer().equals("a")
                                        && c.server().equals("docker0")
                                        && List.of("maint", "drain").contains(c.wanted())
                                        && c.found().equals("ready")
                                        && e.time().isAfter(drained.time()),
                        EVENT);
        assertEquals(LbInfraResource.BACKEND, ((LbDriftCorrected) drift.data()).backend());

        enable(release, "docker0");
    }

    @Test
    void drainingTheLastReadyServerIsRefused() {
        String release = release();
        drain(release, "docker0");
        drain(release, "docker1");

        EventEnvelope<HostUpdateRequested> req = requestDrain(release, "docker2");
        EventEnvelope<HostDrainFailed> failed = causedBy(req, EventType.HOST_DRAIN_FAILED);
        assertTrue(failed.data().reason().contains("minReady 1"), failed.data().reason());
        assertTrue(failed.data().reason().contains("web/docker2"), failed.data().reason());
        assertStatusOnBoth("docker2", "UP");

        enable(release, "docker0");
        enable(release, "docker1");
    }

    @Test
    void unknownServerIsRefusedWithAClearReason() {
        EventEnvelope<HostUpdateRequested> req = requestDrain(release(), "docker9");
        EventEnvelope<HostDrainFailed> failed = causedBy(req, EventType.HOST_DRAIN_FAILED);
        assertEquals(
                "unknown server 'docker9': backend 'web' of load balancer 'a' ("
                        + a.unixRuntimeApi()
                        + ") has no such server",
                failed.data().reason());
    }

    @Test
    void unreachableSocketIsRefusedWithAClearReasonAndNothingChanges() {
        b.stop();
        try {
            EventEnvelope<HostUpdateRequested> req = requestDrain(release(), "docker1");
            EventEnvelope<HostDrainFailed> failed = causedBy(req, EventType.HOST_DRAIN_FAILED);
            String reason = failed.data().reason();
            assertTrue(
                    reason.startsWith(
                            "load balancer 'b' (" + b.tcpRuntimeApi() + ") unreachable: "),
                    reason);
            assertTrue(status(a, "docker1").startsWith("UP"), status(a, "docker1"));
        } finally {
            b.restart();
        }
    }

    @Test
    void redeliveredDrainOfADrainedServerIsDrainedAgain() {
        String release = release();
        EventEnvelope<HostUpdateRequested> req = requestDrain(release, "docker1");
        causedBy(req, EventType.HOST_DRAINED);
        sender.send(req); // the same event again, as a redelivery would
        Awaitility.await()
                .atMost(EVENT)
                .until(
                        () ->
                                capture.events().stream()
                                                .filter(e -> req.id().equals(e.causationId()))
                                                .filter(e -> e.type() == EventType.HOST_DRAINED)
                                                .count()
                                        == 2);
        assertDrainedOnBoth("docker1");
        enable(release, "docker1");
    }

    @Test
    void unhealthyServerIsNotEnabledAndGoesBackToMaint() {
        String release = release();
        drain(release, "docker2");
        backend("docker2").healthy(false);
        try {
            // The drain paused HAProxy's checks for the swap; the enable resumes them, and with
            // HAProxy's own check failed lb-service never puts the server in the pool on
            // deploy-service's word alone.
            EventEnvelope<HostUpdated> up =
                    sender.send(
                            new HostUpdated(
                                    release, "example", "docker2", Stage.CANARY, DIGEST, null));
            EventEnvelope<HostEnableFailed> failed = causedBy(up, EventType.HOST_ENABLE_FAILED);
            assertTrue(failed.data().reason().contains("health check"), failed.data().reason());
            assertStatusOnBoth("docker2", "MAINT");
        } finally {
            backend("docker2").healthy(true);
        }
        // deploy-service put the previous container back: the host must not stay drained
        EventEnvelope<HostUpdateFailed> back =
                sender.send(
                        new HostUpdateFailed(
                                release,
                                "example",
                                "docker2",
                                Stage.CANARY,
                                DIGEST,
                                null,
                                "health check failed",
                                ""));
        causedBy(back, EventType.HOST_ENABLED);
        assertStatusOnBoth("docker2", "UP");
    }

    @Test
    void wantedStatesComeFromTheLbTopicAndDriftIsCorrected() {
        // As a previous run of lb-service would have left them on lb.events: the state listener
        // reads them and the reconciler applies them to every instance.
        String release = release();
        // written as lb-service (the one writer of lb.events, its principal and its source)
        EventSender previousRun =
                new EventSender(KafkaTestResource.bootstrapServers(), "lb-service");
        previousRun.send(new HostDrained(release, "example", "docker1", Stage.CANARY, 0, 0, false));
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertStatusOnBoth("docker1", "MAINT"));
        capture.await(
                e ->
                        e.data() instanceof LbDriftCorrected c
                                && c.releaseId().equals(release)
                                && c.server().equals("docker1")
                                && c.wanted().equals("maint"),
                EVENT);
        previousRun.send(new HostEnabled(release, "example", "docker1", Stage.CANARY));
        previousRun.close();
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertStatusOnBoth("docker1", "UP"));
    }

    @Test
    void aServerInRotationWhoseChecksWerePausedGetsThemBack() {
        // a paused check left on a server in the pool (by hand here; lb-service stopped between a
        // drain and its enable would leave one): the reconciler resumes it
        a.command("disable health " + LbInfraResource.BACKEND + "/docker0");
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(
                        () ->
                                assertFalse(
                                        new HaproxyInstance(
                                                        "x",
                                                        a.tcpRuntimeApi(),
                                                        Duration.ofSeconds(2))
                                                .checksPaused()
                                                .contains(
                                                        new ServerKey(
                                                                LbInfraResource.BACKEND,
                                                                "docker0")),
                                        "checks of docker0 still paused"));
        assertStatusOnBoth("docker0", "UP");
        assertFalse(a.column("check_status").get("docker0").isEmpty(), "no check status");
    }

    @Test
    void poolsShowEveryInstanceBackendAndServer() {
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/pools")
                .then()
                .statusCode(200)
                .body("name", hasItems("a", "b"))
                .body("[0].reachable", is(true))
                .body(
                        "[0].backends.find { it.name == 'web' }.servers.name",
                        hasItems("docker0", "docker1", "docker2"))
                .body(
                        "[1].backends.find { it.name == 'web' }.servers.find { it.name == 'docker0' }.admin",
                        is("ready"))
                .body(
                        "[1].backends.find { it.name == 'web' }.servers.find { it.name == 'docker0' }.status",
                        startsWith("UP"));
    }

    @Test
    void poisonGoesToDeadLettersAndTheNextEventIsProcessed() {
        sender.sendRaw(
                Topics.DEPLOY,
                "garbage",
                "\u0000\u00ffnot a cloud event".getBytes(StandardCharsets.ISO_8859_1),
                List.of());
        EventEnvelope<HostUpdateRequested> req = requestDrain(release(), "docker9");
        causedBy(req, EventType.HOST_DRAIN_FAILED);
        EventCapture.Captured dead =
                capture.awaitRecord(
                        r -> r.record().topic().equals(Topics.deadLetter("lb-in")), EVENT);
        assertEquals("garbage", dead.record().key());
        assertNull(dead.header(CloudEventCodec.H_TYPE));
        // counted by the topic it came from, for an operator's alert
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(
                metrics.lines()
                        .anyMatch(
                                l ->
                                        l.startsWith("canary_dead_letters_total{")
                                                && l.contains("topic=\"deploy.events\"")
                                                && Double.parseDouble(
                                                                l.substring(l.lastIndexOf(' ') + 1))
                                                        >= 1),
                metrics);
    }

    @Test
    void aRecordFromAnotherSourceThanTheTopicsWriterIsDeadLetteredCountedAndNotActedOn() {
        // deploy-service's principal may write deploy.events; this record says it is the gateway's
        String release = release();
        try (EventSender liar =
                new EventSender(
                        KafkaTestResource.bootstrapServers(), "gateway", "deploy-service")) {
            liar.send(new HostUpdateRequested(release, "example", "docker1", Stage.CANARY, DIGEST));
        }
        EventCapture.Captured dead =
                capture.awaitRecord(
                        r ->
                                r.record().topic().equals(Topics.deadLetter("lb-in"))
                                        && release.equals(r.header(CloudEventCodec.H_SUBJECT)),
                        EVENT);
        assertEquals("/canary-release/gateway", dead.header(CloudEventCodec.H_SOURCE));
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(
                metrics.lines()
                        .anyMatch(
                                l ->
                                        l.startsWith("canary_events_foreign_source_total{")
                                                && l.contains("topic=\"deploy.events\"")
                                                && Double.parseDouble(
                                                                l.substring(l.lastIndexOf(' ') + 1))
                                                        >= 1),
                metrics);
        // the next genuine request is answered, and nothing ever answered the forged one
        EventEnvelope<HostUpdateRequested> req = requestDrain(release(), "docker9");
        causedBy(req, EventType.HOST_DRAIN_FAILED);
        assertTrue(
                capture.records().stream()
                        .noneMatch(
                                r ->
                                        r.record().topic().equals(Topics.LB)
                                                && release.equals(
                                                        r.header(CloudEventCodec.H_SUBJECT))),
                "lb-service answered the forged request");
        assertStatusOnBoth("docker1", "UP");
    }
}
