package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * The service starts after a crash in the middle of a swap: it rebuilds the release from Kafka,
 * finds the drained host without a result, repairs the engine's half-done state and finishes the
 * swap, once. Then a promotion meets an engine that does not answer.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(CrashRecoveryResource.class)
class CrashRecoveryTest {
    static final Duration SWAP = Duration.ofSeconds(60);
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
    void aSwapInterruptedByACrashIsFinishedOnceAtStartAndAnUnreachableEngineFailsTheRelease() {
        String rel = CrashRecoveryResource.release;
        EventEnvelope<CanaryEvent> updated =
                played.capture.await(
                        e -> CrashRecoveryResource.drained.id().equals(e.causationId()), SWAP);
        assertEquals(EventType.HOST_UPDATED, updated.type(), updated.data().toString());
        HostUpdated u = (HostUpdated) updated.data();
        assertEquals(Infra.v2, u.digest());
        assertEquals(Infra.v1, u.previousDigest());
        // exactly one app container running, on v2; v1 retained, the never-started one gone
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        Infra.awaitPage(Infra.docker0, "v2");
        assertEquals(
                List.of(
                        Infra.CONTAINER + " running",
                        Infra.CONTAINER + "-" + Infra.v1.substring(7, 19) + " exited"),
                Infra.containers(Infra.docker0, true));
        // the canary request was not sent twice (it was in the history already)
        assertEquals(
                0,
                played.capture.events(rel).stream()
                        .filter(e -> e.type() == EventType.HOST_UPDATE_REQUESTED)
                        .filter(e -> e.source().equals("/canary-release/deploy-service"))
                        .filter(e -> !e.id().equals(CrashRecoveryResource.drained.causationId()))
                        .count());

        // canary live, autoPromote after the bake time, and the promotion meets docker9, whose
        // engine does not answer
        EventEnvelope<HostEnabled> enabled =
                played.lb.send(updated, new HostEnabled(rel, u.app(), "docker0", Stage.CANARY));
        EventEnvelope<CanaryEvent> live = played.capture.await(rel, EventType.CANARY_LIVE, SWAP);
        EventEnvelope<CanaryEvent> auto =
                played.capture.await(rel, EventType.PROMOTION_REQUESTED, SWAP);
        assertEquals("/canary-release/deploy-service", auto.source());
        // caused by the release's latest event: deploy-service's announcement of CANARY_LIVE
        EventEnvelope<CanaryEvent> liveNow =
                played.capture.await(
                        e ->
                                rel.equals(e.releaseId())
                                        && e.data() instanceof ReleasePhaseChanged pc
                                        && pc.phase() == Phase.CANARY_LIVE,
                        SWAP);
        assertEquals(live.causationId(), liveNow.causationId(), "both caused by host.enabled");
        assertEquals(liveNow.id(), auto.causationId());
        assertTrue(((PromotionRequested) auto.data()).reason().contains("autoPromote"));
        assertTrue(
                Duration.between(enabled.time(), auto.time()).toMillis() >= 1000,
                enabled.time() + " → " + auto.time());
        EventEnvelope<HostUpdateRequested> req9 = played.requested(rel, "docker9", Stage.PROMOTION);
        EventEnvelope<HostUpdateRequested> req1 = played.requested(rel, "docker1", Stage.PROMOTION);
        EventEnvelope<HostDrained> drained9 =
                played.lb.send(
                        req9,
                        new HostDrained(rel, u.app(), "docker9", Stage.PROMOTION, 0, 1, false));
        EventEnvelope<CanaryEvent> failed =
                played.capture.await(
                        e ->
                                drained9.id().equals(e.causationId())
                                        && e.type() == EventType.HOST_UPDATE_FAILED,
                        SWAP);
        String reason = ((HostUpdateFailed) failed.data()).reason();
        assertTrue(reason.contains("docker9"), reason);
        assertTrue(reason.toLowerCase().contains("refused"), reason);
        played.capture.await(rel, EventType.RELEASE_FAILED, SWAP);

        // every touched host goes back: docker1 (drained, untouched) is re-enabled as it is,
        // docker0 restarts its retained v1 container
        EventEnvelope<HostDrained> drained1 =
                played.lb.send(
                        req1,
                        new HostDrained(rel, u.app(), "docker1", Stage.PROMOTION, 0, 1, false));
        EventEnvelope<CanaryEvent> back1 =
                played.capture.await(e -> drained1.id().equals(e.causationId()), SWAP);
        assertEquals(EventType.HOST_UPDATED, back1.type(), back1.data().toString());
        assertEquals(Infra.v1, ((HostUpdated) back1.data()).digest());
        played.lb.send(back1, new HostEnabled(rel, u.app(), "docker1", Stage.ROLLBACK));
        EventEnvelope<CanaryEvent> back9 =
                played.capture.await(
                        e ->
                                e.releaseId().equals(rel)
                                        && e.data() instanceof HostUpdated h
                                        && h.host().equals("docker9"),
                        SWAP);
        played.lb.send(back9, new HostEnabled(rel, u.app(), "docker9", Stage.ROLLBACK));
        EventEnvelope<HostUpdateRequested> req0 = played.requested(rel, "docker0", Stage.ROLLBACK);
        assertEquals(Infra.v1, req0.data().digest());
        EventEnvelope<HostDrained> drained0 =
                played.lb.send(
                        req0,
                        new HostDrained(rel, u.app(), "docker0", Stage.ROLLBACK, 0, 1, false));
        EventEnvelope<CanaryEvent> back0 =
                played.capture.await(e -> drained0.id().equals(e.causationId()), SWAP);
        assertEquals(Infra.v1, ((HostUpdated) back0.data()).digest());
        Infra.awaitPage(Infra.docker0, "v1");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        played.lb.send(back0, new HostEnabled(rel, u.app(), "docker0", Stage.ROLLBACK));
        org.awaitility.Awaitility.await()
                .atMost(SWAP)
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("phase", equalTo("FAILED"))
                                        .body("hosts.docker0.step", equalTo("REVERTED"))
                                        .body("hosts.docker1.step", equalTo("REVERTED"))
                                        .body("hosts.docker9.step", equalTo("REVERTED")));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/hosts")
                .then()
                .statusCode(200)
                .body(
                        "find { it.host == 'docker9' }.error",
                        org.hamcrest.Matchers.containsString("docker9"));
    }
}
