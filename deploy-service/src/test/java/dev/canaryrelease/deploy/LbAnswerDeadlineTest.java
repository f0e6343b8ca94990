package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.deploy.domain.Reasons;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostAnswerTimedOut;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ReleaseFailed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * Every wait of deploy-service on lb-service has a deadline (issue 14, point 3): the fleet's drain
 * (enable) deadline, 1 s here, plus {@code canary.deploy.lb-answer-margin}, 2 s here. Nobody plays
 * lb-service's answer: the release fails with the deadline's reason and the host is put back. Real
 * engines, sshd, registry and broker; the test plays registry-service (and lb-service where it
 * answers at last).
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbAnswerDeadlineTest.Resource.class)
class LbAnswerDeadlineTest {
    static final String APP = "nolb";
    static final Duration WAIT = PlayedServices.SWAP;

    /** The deploy infrastructure with 1 s lb deadlines and a 2 s margin for lb's answer. */
    public static class Resource extends DeployInfraResource {
        @Override
        protected String app() {
            return LbAnswerDeadlineTest.APP;
        }

        @Override
        protected String rollout() {
            return """
            canary: [docker0]
            steps: ["100%"]
            maxUnavailable: 1
            deadlines: {drain: 1s, enable: 1s, health: 5s}
            """;
        }

        @Override
        public Map<String, String> start() {
            Map<String, String> config = new java.util.HashMap<>(super.start());
            config.put("canary.deploy.lb-answer-margin", "2s");
            return config;
        }

        @Override
        public void stop() {
            Infra.resetToV1();
        }
    }

    static PlayedServices played;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
    }

    static void push(String rel) {
        played.registry.send(
                new ImagePushed(rel, APP, Infra.REPO, Infra.v2.substring(7, 19), Infra.v2));
    }

    @Test
    void noDrainAnswerFailsTheReleaseAndTheUntouchedHostIsAskedBackIntoThePool() {
        String rel = "rel-" + UUID.randomUUID();
        push(rel);
        EventEnvelope<HostUpdateRequested> req = played.requested(rel, "docker0", Stage.CANARY);

        EventEnvelope<CanaryEvent> timedOut =
                played.capture.await(rel, EventType.HOST_ANSWER_TIMED_OUT, WAIT);
        HostAnswerTimedOut t = (HostAnswerTimedOut) timedOut.data();
        String reason = "no answer from lb-service: host.drained for docker0 within 3s";
        assertEquals(reason, t.reason());
        assertEquals("DRAINING", t.step());
        assertTrue(
                !timedOut.time().isBefore(req.time().plusSeconds(3)),
                "not before the deadline: " + req.time() + " → " + timedOut.time());
        assertTrue(
                timedOut.time().isBefore(req.time().plusSeconds(10)),
                "long after the deadline: " + req.time() + " → " + timedOut.time());
        EventEnvelope<CanaryEvent> failed =
                played.capture.await(rel, EventType.RELEASE_FAILED, WAIT);
        assertEquals(reason, ((ReleaseFailed) failed.data()).reason());
        // lb-service's cue to put the host back in the pool, as it is (never swapped: v1)
        EventEnvelope<CanaryEvent> putBack =
                played.capture.await(rel, EventType.HOST_UPDATE_FAILED, WAIT);
        HostUpdateFailed pb = (HostUpdateFailed) putBack.data();
        assertEquals("docker0", pb.host());
        assertEquals(Stage.ROLLBACK, pb.stage());
        assertTrue(Infra.page(Infra.docker0).contains("v1"), Infra.page(Infra.docker0));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .statusCode(200)
                .body("phase", equalTo("FAILED"))
                .body("reason", equalTo(reason))
                .body("hosts.docker0.step", equalTo("REVERT_ENABLING"));

        // lb-service answers at last: the host is back, nothing was swapped
        played.lb.send(putBack, new HostEnabled(rel, APP, "docker0", Stage.ROLLBACK));
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("hosts.docker0.step", equalTo("REVERTED")));
        assertTrue(Infra.page(Infra.docker0).contains("v1"), Infra.page(Infra.docker0));
    }

    @Test
    void noEnableAnswerPutsThePreviousContainerBackAndFailsTheRelease() {
        String rel = "rel-" + UUID.randomUUID();
        push(rel);
        EventEnvelope<HostUpdateRequested> req = played.requested(rel, "docker0", Stage.CANARY);
        EventEnvelope<CanaryEvent> updated = played.drain(req);
        assertEquals(EventType.HOST_UPDATED, updated.type(), updated.data().toString());
        Infra.awaitPage(Infra.docker0, "v2");
        // ... and lb-service never says host.enabled

        EventEnvelope<CanaryEvent> failed =
                played.capture.await(rel, EventType.RELEASE_FAILED, WAIT);
        assertEquals(
                "no answer from lb-service: host.enabled for docker0 within 3s",
                ((ReleaseFailed) failed.data()).reason());
        EventEnvelope<CanaryEvent> back =
                played.capture.await(
                        e ->
                                e.releaseId().equals(rel)
                                        && e.data() instanceof HostUpdated u
                                        && u.stage() == Stage.ROLLBACK,
                        WAIT);
        assertEquals(Infra.v1, ((HostUpdated) back.data()).digest());
        Infra.awaitPage(Infra.docker0, "v1");
        assertTrue(
                ((ReleaseFailed) failed.data()).reason().startsWith(Reasons.NO_LB_ANSWER),
                failed.toString());
        // the restored host waits for lb-service again: when it answers, the host is reverted
        played.enable(back);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("hosts.docker0.step", equalTo("REVERTED")));
    }
}
