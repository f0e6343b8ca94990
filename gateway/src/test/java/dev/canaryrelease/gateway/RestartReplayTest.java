package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR_TOKEN;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * A gateway started against a broker that already holds an earlier run's events (a separate Quarkus
 * app: this class's test resources differ from the other classes'): the read model and the delivery
 * dedupe are rebuilt by replay before the API answers.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
@WithTestResource(PriorHistory.class)
class RestartReplayTest {
    static EventCapture capture;

    @BeforeAll
    static void start() {
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.GATEWAY);
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    @AfterAll
    static void stop() {
        capture.close();
    }

    @Test
    void theReadModelIsRebuiltByReplay() {
        // the API answers only once the replay reached the end offsets read at start
        JsonPath d =
                given().auth()
                        .oauth2(VIEWER_TOKEN)
                        .get("/releases/" + PriorHistory.RELEASE)
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        assertEquals("CANARY_LIVE", d.getString("state"));
        assertEquals(PriorHistory.SHA, d.getString("commitSha"));
        assertEquals(PriorHistory.DIGEST, d.getString("digest"));
        assertEquals(PriorHistory.DELIVERY, d.getString("deliveryId"));
        assertEquals(10, d.getList("timeline").size());
        assertEquals("READY", d.getString("hosts[0].lbState"));
        given().get("/q/health/ready").then().statusCode(200);

        // and the operator can act on it: caused by the replayed canary.live
        given().auth()
                .oauth2(OPERATOR_TOKEN)
                .post("/releases/" + PriorHistory.RELEASE + "/promote")
                .then()
                .statusCode(202);
        var promo =
                capture.await(
                        PriorHistory.RELEASE,
                        EventType.PROMOTION_REQUESTED,
                        Duration.ofSeconds(30));
        assertEquals(PriorHistory.latestId, promo.causationId());
        assertEquals("alice", ((PromotionRequested) promo.data()).operator());
    }

    @Test
    void aRedeliveryAfterRestartGetsTheSameReleaseAndPublishesNothing() {
        byte[] body = Github.push(p -> p.put("after", PriorHistory.SHA));
        Github.delivery("push", PriorHistory.DELIVERY, body)
                .post("/webhooks/github")
                .then()
                .statusCode(202)
                .body("releaseId", equalTo(PriorHistory.RELEASE))
                .body("redelivery", equalTo(true))
                .header("Location", endsWith("/releases/" + PriorHistory.RELEASE));
        // a new delivery after it: once its event is on the topic, nothing else came before it
        String marker =
                Github.delivery("push", java.util.UUID.randomUUID().toString(), Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(marker, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        List<BuildRequested> forDelivery =
                capture.events().stream()
                        .filter(e -> e.type() == EventType.BUILD_REQUESTED)
                        .map(e -> (BuildRequested) e.data())
                        .filter(b -> PriorHistory.DELIVERY.equals(b.deliveryId()))
                        .toList();
        assertEquals(1, forDelivery.size(), "only the earlier run's build.requested");
        assertEquals(PriorHistory.RELEASE, forDelivery.get(0).releaseId());
    }

    @Test
    void theSameCommitUnderAFreshDeliveryIdAfterRestartIsADuplicateAndPublishesNothing() {
        // the earlier run's signed body replayed under a delivery id the gateway never saw
        byte[] body = Github.push(p -> p.put("after", PriorHistory.SHA));
        String fresh = java.util.UUID.randomUUID().toString();
        Github.delivery("push", fresh, body)
                .post("/webhooks/github")
                .then()
                .statusCode(200)
                .body("duplicateOf", equalTo(PriorHistory.RELEASE))
                .body("firstDeliveryId", equalTo(PriorHistory.DELIVERY))
                .body("deliveryId", equalTo(fresh))
                .header("Location", endsWith("/releases/" + PriorHistory.RELEASE));
        // a different commit still releases; once its event is on the topic, nothing came before
        String marker =
                Github.delivery("push", java.util.UUID.randomUUID().toString(), Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(marker, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        List<BuildRequested> ofCommit =
                capture.events().stream()
                        .filter(e -> e.type() == EventType.BUILD_REQUESTED)
                        .map(e -> (BuildRequested) e.data())
                        .filter(b -> PriorHistory.SHA.equals(b.commitSha()))
                        .toList();
        assertEquals(1, ofCommit.size(), "only the earlier run's build.requested");
        assertEquals(PriorHistory.DELIVERY, ofCommit.get(0).deliveryId());
    }
}
