package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * A promotion that outlives the fleet's {@code deadlines.promotion} (3 s here) because the load
 * balancer does not drain the next host in time: the deploy service aborts the release by itself,
 * says why, and every host ends on the previous image. Real engines, sshd, registry and broker; the
 * test plays lb-service, registry-service and the gateway.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(PromotionDeadlineTest.Resource.class)
class PromotionDeadlineTest {
    static final String APP = "deadline";
    static final Duration WAIT = PlayedServices.SWAP;

    /** The deploy infrastructure with a 3 s promotion deadline. */
    public static class Resource extends DeployInfraResource {
        @Override
        protected String app() {
            return PromotionDeadlineTest.APP; // not the inherited DeployInfraResource.APP
        }

        @Override
        protected String rollout() {
            return """
            canary: [docker0]
            steps: ["100%"]
            maxUnavailable: 1
            deadlines: {health: 5s, promotion: 3s}
            """;
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

    @Test
    void aPromotionPastItsDeadlineIsAbortedByTheServiceAndTheCanaryGoesBack() {
        String rel = "rel-" + UUID.randomUUID();
        played.registry.send(
                new ImagePushed(rel, APP, Infra.REPO, Infra.v2.substring(7, 19), Infra.v2));
        played.cycle(rel, "docker0", Stage.CANARY);
        EventEnvelope<CanaryEvent> live = played.capture.await(rel, EventType.CANARY_LIVE, WAIT);

        EventEnvelope<PromotionRequested> promote =
                played.gateway.send(live, new PromotionRequested(rel, APP, "alice", "looks good"));
        // docker1 is asked for a drain; lb-service does not answer in time
        EventEnvelope<HostUpdateRequested> docker1 =
                played.requested(rel, "docker1", Stage.PROMOTION);

        EventEnvelope<CanaryEvent> abort =
                played.capture.await(rel, EventType.ABORT_REQUESTED, WAIT);
        AbortRequested a = (AbortRequested) abort.data();
        assertEquals("deploy-service", a.operator());
        assertEquals("the promotion did not finish within 3s", a.reason());
        assertTrue(
                !abort.time().isBefore(promote.time().plusSeconds(3)),
                "not before the deadline: " + promote.time() + " → " + abort.time());
        EventEnvelope<CanaryEvent> aborted =
                played.capture.await(rel, EventType.RELEASE_ABORTED, WAIT);
        assertEquals(
                "aborted by deploy-service: the promotion did not finish within 3s",
                ((ReleaseAborted) aborted.data()).reason());
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .statusCode(200)
                .body("phase", equalTo("ABORTED"));

        // when lb-service answers at last, docker1 (never swapped) is put back as it is ...
        HostUpdated kept = played.cycle(docker1);
        assertEquals(Stage.ROLLBACK, kept.stage());
        Infra.awaitPage(Infra.docker1, "v1");
        // ... and then the canary goes back to v1 (one host out of the pool at a time)
        HostUpdated back = played.cycle(rel, "docker0", Stage.ROLLBACK);
        assertEquals(Infra.v1, back.digest());
        Infra.awaitPage(Infra.docker0, "v1");
    }
}
