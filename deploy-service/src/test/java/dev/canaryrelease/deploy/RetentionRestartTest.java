package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRejected;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * Issue 14 point 2 on the real broker: after every record of every {@code *.events} topic is
 * deleted (retention) and deploy-service starts again, what it knew comes back from its snapshot in
 * {@code deploy.releases} ({@link SnapshottedDeployHistory}): a release's audit (who aborted it and
 * why, who pushed the image), the delivery dedupe (a redelivered build or push of a finished
 * release starts nothing), and each host's current and previous digest (a rollback targets the
 * digest each host ran before).
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(SnapshottedDeployHistory.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetentionRestartTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static PlayedServices played;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
    }

    static JsonPath release(String id) {
        return given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/releases/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    @Test
    @Order(1)
    void theEarlierRunLeftNothingUndoneAndItsSnapshotHeldBothReleases() {
        assertEquals(0, SnapshottedDeployHistory.earlierRunOutstanding);
        assertEquals(2, SnapshottedDeployHistory.earlierRunReleases);
    }

    @Test
    @Order(1)
    void theAuditAndEachHostsDigestsOutliveTheEventTopicsRetention() {
        JsonPath a = release(SnapshottedDeployHistory.ABORTED);
        assertEquals("ABORTED", a.getString("phase"));
        assertEquals(
                "aborted by "
                        + SnapshottedDeployHistory.OPERATOR
                        + ": "
                        + SnapshottedDeployHistory.REASON,
                a.getString("reason"));

        JsonPath p = release(SnapshottedDeployHistory.PROMOTED);
        assertEquals("PROMOTED", p.getString("phase"));
        assertEquals(SnapshottedDeployHistory.DIGEST, p.getString("digest"));
        assertEquals(SnapshottedDeployHistory.PUSHER, p.getString("pushedBy"));
        for (String host : List.of("docker0", "docker1", "docker2")) {
            assertEquals("DONE", p.getString("hosts." + host + ".step"), host);
            assertEquals(
                    SnapshottedDeployHistory.previous.get(host),
                    p.getString("hosts." + host + ".previousDigest"),
                    host);
        }
    }

    @Test
    @Order(2)
    void aRedeliveredBuildOrPushOfAFinishedReleaseStartsNothing() {
        String id = SnapshottedDeployHistory.PROMOTED;
        // the gateway's redelivery of the push's build, registry-service's of the image
        played.gateway.send(
                new BuildRequested(
                        id,
                        SnapshottedDeployHistory.APP,
                        "proserveau/example-app",
                        "https://github.com/proserveau/example-app.git",
                        "refs/heads/main",
                        SnapshottedDeployHistory.SHA,
                        "octocat",
                        SnapshottedDeployHistory.DELIVERY));
        played.registry.send(
                new ImagePushed(
                        id,
                        SnapshottedDeployHistory.APP,
                        SnapshottedDeployHistory.APP,
                        SnapshottedDeployHistory.SHA.substring(0, 12),
                        SnapshottedDeployHistory.DIGEST,
                        SnapshottedDeployHistory.PUSHER));
        // markers behind them on the same partitions: once deploy-service answered these, it
        // has handled the redeliveries
        played.gateway.send(
                new AbortRequested(SnapshottedDeployHistory.ABORTED, "example", "erin", "marker"));
        String next = UUID.randomUUID().toString();
        played.registry.send(
                new ImagePushed(
                        next,
                        SnapshottedDeployHistory.APP,
                        SnapshottedDeployHistory.APP,
                        "next",
                        "sha256:" + "9a".repeat(32)));
        EventEnvelope<CanaryEvent> refused =
                played.capture.await(
                        SnapshottedDeployHistory.ABORTED, EventType.PROMOTION_REJECTED, WAIT);
        assertEquals("ABORTED", ((PromotionRejected) refused.data()).state());
        played.requested(next, "docker0", Stage.CANARY);

        assertEquals(List.of(), played.capture.events(id), "events of the finished release");
        JsonPath p = release(id);
        assertEquals("PROMOTED", p.getString("phase"));
        assertEquals("DONE", p.getString("hosts.docker0.step"));
    }

    @Test
    @Order(3)
    void aRollbackTargetsTheDigestEachHostRanBefore() {
        String id = SnapshottedDeployHistory.PROMOTED;
        played.gateway.send(new RollbackRequested(id, "example", "carol", "rollback drill"));
        EventEnvelope<HostUpdateRequested> req = played.requested(id, "docker0", Stage.ROLLBACK);
        assertEquals(SnapshottedDeployHistory.previous.get("docker0"), req.data().digest());
        JsonPath p = release(id);
        assertEquals("ROLLING_BACK", p.getString("phase"));
        assertTrue(p.getString("reason").contains("carol"), p.getString("reason"));
        assertEquals("REVERT_DRAINING", p.getString("hosts.docker0.step"));
        assertEquals(
                SnapshottedDeployHistory.previous.get("docker1"),
                p.getString("hosts.docker1.previousDigest"));
    }
}
