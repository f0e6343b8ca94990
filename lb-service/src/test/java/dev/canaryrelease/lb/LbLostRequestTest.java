package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbInfraResource.a;
import static dev.canaryrelease.lb.LbInfraResource.b;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventRetention;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * A request of deploy-service lost to retention does not hold its server for ever (issue 14, point
 * 3). Before the app starts, on the real broker and the two real HAProxy instances:
 *
 * <ol>
 *   <li>History: docker0's cycles, the last one ending with {@code host.enabled} (wanted: ready),
 *       then a {@code host.update-requested} for docker0 that lb-service never answered: the
 *       earlier run had put docker0 in maint and stopped before {@code host.drained}.
 *   <li>That earlier run's snapshot holds the request as unanswered ({@code lb.servers}).
 *   <li>Retention deletes every record of the event topics: the request is never redelivered, and
 *       nothing will ever answer it.
 *   <li>HAProxy as the earlier run left it: docker0 in maint on both instances.
 * </ol>
 *
 * The request holds docker0 out of the pool for {@code canary.lb.request-hold} (here 20 s, 1 h by
 * default) counted from when it was made; then reconciliation puts docker0 back to the state its
 * events last wanted, and HAProxy shows it UP.
 *
 * <p>docker1 is the other gap: lb-service drained it for a swap ({@code host.drained}: its events
 * want it in maint), the earlier run read that and stopped; then deploy-service's {@code
 * host.updated} and its one more ask ({@code host.update-failed{stage=rollback}}) were written, and
 * retention deleted them before lb-service read them. Nothing of deploy-service will come for
 * docker1 again: once its maint is older than the hold, with no request within it, lb-service wants
 * it ready again and HAProxy shows it UP.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbLostRequestTest.History.class)
class LbLostRequestTest {
    static final Duration HOLD = Duration.ofSeconds(20);
    static final String DIGEST = "sha256:" + "e".repeat(64);

    static EventCapture capture;

    /** The infrastructure of {@link LbInfraResource}, then the history, snapshot and retention. */
    public static class History extends LbInfraResource {
        static final String LOST = UUID.randomUUID().toString();
        static final String SWAPPED = UUID.randomUUID().toString();
        static volatile EventEnvelope<HostUpdateRequested> lost;
        static volatile EventEnvelope<HostDrained> drained;

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("canary.lb.request-hold", HOLD.toSeconds() + "s");
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
                for (int i = 0; i < 10; i++) {
                    for (String host : List.of("docker0", "docker1")) {
                        LbRetentionRestartTest.History.cycle(
                                dep, lb, UUID.randomUUID().toString(), host, true);
                    }
                }
                lost =
                        dep.send(
                                new HostUpdateRequested(
                                        LOST, "example", "docker0", Stage.CANARY, DIGEST));
                var swap =
                        dep.send(
                                new HostUpdateRequested(
                                        SWAPPED, "example", "docker1", Stage.CANARY, DIGEST));
                drained =
                        lb.send(
                                swap,
                                new HostDrained(
                                        SWAPPED, "example", "docker1", Stage.CANARY, 0, 3, false));
            }
            LbRetentionRestartTest.History.earlierRun();
            // deploy-service's follow-ups on docker1, deleted by retention before lb-service read
            // them: the swap's host.updated, then the one more ask after the enable's deadline
            try (EventSender dep = new EventSender(bootstrap, "deploy-service")) {
                var updated =
                        dep.send(
                                drained,
                                new HostUpdated(
                                        SWAPPED, "example", "docker1", Stage.CANARY, DIGEST, null));
                dep.send(
                        updated,
                        new HostUpdateFailed(
                                SWAPPED,
                                "example",
                                "docker1",
                                Stage.ROLLBACK,
                                DIGEST,
                                null,
                                "no answer from lb-service",
                                null));
            }
            EventRetention.deleteEventRecords();
            for (HaproxyServer h : List.of(a, b)) {
                h.command("set server " + BACKEND + "/docker0 state maint");
                h.command("set server " + BACKEND + "/docker1 state maint");
            }
            return config;
        }
    }

    @BeforeAll
    static void start() {
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.LB);
    }

    @AfterAll
    static void stop() {
        capture.close();
    }

    @Test
    void aRequestWhoseRecordIsGoneHoldsItsServerOnlyUntilTheHoldEnds() {
        Instant requestedAt = History.lost.time();
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(
                        () ->
                                given().get("/q/health/ready")
                                        .then()
                                        .statusCode(200)
                                        .body("checks.name", hasItem("lb-events-replay")));
        // while the request holds it, docker0 stays out, though its events last wanted it ready
        if (Instant.now().isBefore(requestedAt.plus(HOLD).minusSeconds(3))) {
            LbServiceTest.assertStatusOnBoth("docker0", "MAINT");
        }

        // the hold ends: reconciliation puts docker0 back, and HAProxy serves from it again
        EventEnvelope<CanaryEvent> corrected =
                capture.await(
                        e ->
                                e.data() instanceof LbDriftCorrected c
                                        && c.server().equals("docker0")
                                        && c.wanted().equals("ready"),
                        HOLD.plusSeconds(60));
        assertFalse(
                corrected.time().isBefore(requestedAt.plus(HOLD)),
                "docker0 was raised while its request still held it: requested at "
                        + requestedAt
                        + ", raised at "
                        + corrected.time());
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> LbServiceTest.assertStatusOnBoth("docker0", "UP"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/pools")
                .then()
                .statusCode(200)
                .body("[0].backends[0].servers.find { it.name == 'docker0' }.wanted", is("ready"));
        assertTrue(
                capture.events().stream()
                        .noneMatch(
                                e ->
                                        e.causationId() != null
                                                && e.causationId().equals(History.lost.id())),
                "nothing answered the lost request: " + capture.events());
    }

    @Test
    void aMaintWhoseFollowUpsAreLostEndsWhenTheHoldEnds() {
        Instant drainedAt = History.drained.time();
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(
                        () ->
                                given().get("/q/health/ready")
                                        .then()
                                        .statusCode(200)
                                        .body("checks.name", hasItem("lb-events-replay")));
        // within the hold, docker1 stays in maint, as its last event (host.drained) wants
        if (Instant.now().isBefore(drainedAt.plus(HOLD).minusSeconds(3))) {
            LbServiceTest.assertStatusOnBoth("docker1", "MAINT");
        }

        // past it, with no request of deploy-service on docker1, lb-service wants it ready again
        EventEnvelope<CanaryEvent> corrected =
                capture.await(
                        e ->
                                e.data() instanceof LbDriftCorrected c
                                        && c.server().equals("docker1")
                                        && c.wanted().equals("ready"),
                        HOLD.plusSeconds(60));
        assertFalse(
                corrected.time().isBefore(drainedAt.plus(HOLD)),
                "docker1 was raised before the hold ended: drained at "
                        + drainedAt
                        + ", raised at "
                        + corrected.time());
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> LbServiceTest.assertStatusOnBoth("docker1", "UP"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/pools")
                .then()
                .statusCode(200)
                .body("[0].backends[0].servers.find { it.name == 'docker1' }.wanted", is("ready"));
    }
}
