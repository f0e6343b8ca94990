package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRejected;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;

/**
 * The deploy service on real engines (docker0 over TLS with the docker-api driver, docker1 through
 * a real sshd with the ssh driver) and the real broker. The test plays lb-service, registry-service
 * and the gateway by sending their events.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(DeployInfraResource.class)
class DeployFlowTest {
    static final String APP = DeployInfraResource.APP;
    static final Duration SWAP = PlayedServices.SWAP;

    static PlayedServices played;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
    }

    static String pushed(String release, String digest) {
        played.registry.send(
                new ImagePushed(release, APP, Infra.REPO, digest.substring(7, 19), digest));
        return release;
    }

    static String newRelease() {
        return "rel-" + UUID.randomUUID();
    }

    // --- tests ---------------------------------------------------------------------------------

    @Test
    void canaryPromotionAndRollbackOnBothDrivers() {
        String rel = pushed(newRelease(), Infra.v2);

        // canary: docker0, docker-api driver over TLS
        HostUpdated canary = played.cycle(rel, "docker0", Stage.CANARY);
        assertEquals(Infra.v2, canary.digest());
        assertEquals(Infra.v1, canary.previousDigest());
        Infra.awaitPage(Infra.docker0, "v2");
        Infra.awaitPage(Infra.docker1, "v1");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        assertTrue(
                Infra.runningImage(Infra.docker0).endsWith("@" + Infra.v2),
                Infra.runningImage(Infra.docker0));
        assertTrue(
                Infra.containers(Infra.docker0, true)
                        .contains(Infra.CONTAINER + "-" + Infra.v1.substring(7, 19) + " exited"),
                Infra.containers(Infra.docker0, true).toString());
        EventEnvelope<CanaryEvent> live = played.capture.await(rel, EventType.CANARY_LIVE, SWAP);
        assertEquals(List.of("docker0"), ((CanaryLive) live.data()).hosts());
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .statusCode(200)
                .body("phase", equalTo("CANARY_LIVE"));

        // promotion: docker1, ssh driver
        played.gateway.send(live, new PromotionRequested(rel, APP, "alice", "looks good"));
        HostUpdated promoted = played.cycle(rel, "docker1", Stage.PROMOTION);
        assertEquals(Infra.v2, promoted.digest());
        assertEquals(Infra.v1, promoted.previousDigest());
        Infra.awaitPage(Infra.docker1, "v2");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker1, false));
        played.capture.await(rel, EventType.RELEASE_PROMOTED, SWAP);
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .statusCode(200)
                .body("phase", equalTo("PROMOTED"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/hosts")
                .then()
                .statusCode(200)
                .body("container.digest", hasItem(Infra.v2))
                .body("find { it.host == 'docker1' }.retained.digest", hasItem(Infra.v1));

        // rollback: the retained v1 containers start again, no pull, host by host
        String v1Id0 =
                containerId(Infra.docker0, Infra.CONTAINER + "-" + Infra.v1.substring(7, 19));
        played.gateway.send(new RollbackRequested(rel, APP, "alice", "regression"));
        HostUpdated back0 = played.cycle(rel, "docker0", Stage.ROLLBACK);
        assertEquals(Infra.v1, back0.digest());
        assertEquals(Infra.v2, back0.previousDigest());
        assertEquals(v1Id0, containerId(Infra.docker0, Infra.CONTAINER));
        Infra.awaitPage(Infra.docker0, "v1");
        HostUpdated back1 = played.cycle(rel, "docker1", Stage.ROLLBACK);
        assertEquals(Infra.v1, back1.digest());
        Infra.awaitPage(Infra.docker1, "v1");
        played.capture.await(rel, EventType.RELEASE_ROLLED_BACK, SWAP);
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .body("phase", equalTo("ROLLED_BACK"));

        // every event deploy-service wrote for the release is keyed by its app, so all of them
        // are on the app's one partition of deploy.events (the test broker has 6; issue 19)
        List<org.apache.kafka.clients.consumer.ConsumerRecord<String, byte[]>> written =
                played.capture.records().stream()
                        .filter(r -> rel.equals(r.header(CloudEventCodec.H_SUBJECT)))
                        .map(EventCapture.Captured::record)
                        .toList();
        assertTrue(written.size() > 10, written.size() + " events");
        assertEquals(Set.of(APP), written.stream().map(r -> r.key()).collect(Collectors.toSet()));
        assertEquals(
                1, written.stream().map(r -> r.partition()).distinct().count(), "one partition");
    }

    static String containerId(DockerEngine e, String name) {
        return e.docker("inspect", "--format", "{{.Id}}", name).orThrow().stdout().strip();
    }

    @Test
    void promotionBeforeCanaryLiveIsRejectedWithTheState() {
        String rel = newRelease();
        EventEnvelope<BuildRequested> b =
                played.gateway.send(
                        new BuildRequested(
                                rel,
                                APP,
                                "proserveau/example",
                                "u",
                                "refs/heads/main",
                                "abc",
                                "me",
                                "d1"));
        played.gateway.send(b, new PromotionRequested(rel, APP, "alice", null));
        EventEnvelope<CanaryEvent> rej =
                played.capture.await(rel, EventType.PROMOTION_REJECTED, SWAP);
        assertEquals("PENDING", ((PromotionRejected) rej.data()).state());
        assertEquals(APP, ((PromotionRejected) rej.data()).app(), "keyed by the app");
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + rel)
                .then()
                .statusCode(200)
                .body("phase", equalTo("PENDING"));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/nope")
                .then()
                .statusCode(404);
    }

    @Test
    void aFailedHealthCheckBringsThePreviousContainerBackAndFailsTheRelease() {
        String rel = pushed(newRelease(), Infra.broken);
        EventEnvelope<CanaryEvent> answer =
                played.drain(played.requested(rel, "docker0", Stage.CANARY));
        assertEquals(EventType.HOST_UPDATE_FAILED, answer.type());
        HostUpdateFailed f = (HostUpdateFailed) answer.data();
        // the app answers 404: a definite no, failed without waiting for the 5 s deadline
        assertTrue(f.reason().startsWith("unhealthy (a definite answer): GET http://"), f.reason());
        assertTrue(f.reason().contains("/health answered 404 "), f.reason());
        assertTrue(f.reason().contains(" times in a row over "), f.reason());
        assertEquals(Infra.v1, f.previousDigest());
        // the previous container serves again, and it is the only one running
        Infra.awaitPage(Infra.docker0, "v1");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        // what lets lb put the host back: host.updated{rollback} with the previous digest
        EventEnvelope<CanaryEvent> back =
                played.capture.await(
                        e -> e.releaseId().equals(rel) && e.type() == EventType.HOST_UPDATED, SWAP);
        assertEquals(Stage.ROLLBACK, ((HostUpdated) back.data()).stage());
        assertEquals(Infra.v1, ((HostUpdated) back.data()).digest());
        played.capture.await(rel, EventType.RELEASE_FAILED, SWAP);
        played.enable(back);
        Awaitility.await()
                .atMost(SWAP)
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("phase", equalTo("FAILED"))
                                        .body("hosts.docker0.step", equalTo("REVERTED")));
    }

    @Test
    void aContainerThatExitsFailsTheSwapAtOnceNamingItsExit() {
        String exits =
                ExampleApp.buildAndPushExiting(
                        Infra.docker0, Infra.registry.address(), Infra.REPO, "v4-exits", 3);
        String rel = pushed(newRelease(), exits);
        EventEnvelope<CanaryEvent> answer =
                played.drain(played.requested(rel, "docker0", Stage.CANARY));
        assertEquals(EventType.HOST_UPDATE_FAILED, answer.type());
        HostUpdateFailed f = (HostUpdateFailed) answer.data();
        // the app's process exited (its restart policy starts it again): a definite no, not the
        // 5 s deadline's "not healthy within"
        assertTrue(
                f.reason()
                        .startsWith(
                                "unhealthy (a definite answer): container "
                                        + Infra.CONTAINER
                                        + " exited with code 3"),
                f.reason());
        assertEquals(Infra.v1, f.previousDigest());
        Infra.awaitPage(Infra.docker0, "v1");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        EventEnvelope<CanaryEvent> back =
                played.capture.await(
                        e -> e.releaseId().equals(rel) && e.type() == EventType.HOST_UPDATED, SWAP);
        assertEquals(Infra.v1, ((HostUpdated) back.data()).digest());
        played.capture.await(rel, EventType.RELEASE_FAILED, SWAP);
        played.enable(back);
        Awaitility.await()
                .atMost(SWAP)
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("phase", equalTo("FAILED"))
                                        .body("hosts.docker0.step", equalTo("REVERTED")));
    }

    @Test
    void abortWhileTheCanaryIsLiveSendsTheCanaryBack() {
        String rel = pushed(newRelease(), Infra.v2);
        played.cycle(rel, "docker0", Stage.CANARY);
        EventEnvelope<CanaryEvent> live = played.capture.await(rel, EventType.CANARY_LIVE, SWAP);
        Infra.awaitPage(Infra.docker0, "v2");
        played.gateway.send(live, new AbortRequested(rel, APP, "alice", "bad numbers"));
        played.capture.await(rel, EventType.RELEASE_ABORTED, SWAP);
        HostUpdated back = played.cycle(rel, "docker0", Stage.ROLLBACK);
        assertEquals(Infra.v1, back.digest());
        Infra.awaitPage(Infra.docker0, "v1");
        Infra.awaitPage(Infra.docker1, "v1");
        assertEquals(List.of(Infra.CONTAINER), Infra.containers(Infra.docker0, false));
        Awaitility.await()
                .atMost(SWAP)
                .untilAsserted(
                        () ->
                                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                                        .get("/releases/" + rel)
                                        .then()
                                        .body("phase", equalTo("ABORTED"))
                                        .body("hosts.docker0.step", equalTo("REVERTED")));
    }
}
