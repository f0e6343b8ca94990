package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.Github.delivery;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class WebhookResourceTest {
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

    static String newDelivery() {
        return UUID.randomUUID().toString();
    }

    List<BuildRequested> buildRequests(String deliveryId) {
        return capture.events().stream()
                .filter(e -> e.type() == EventType.BUILD_REQUESTED)
                .map(e -> (BuildRequested) e.data())
                .filter(b -> deliveryId.equals(b.deliveryId()))
                .toList();
    }

    /**
     * Posts a good push and waits for its event: every event of an earlier request is on the
     * (single-partition) topic before it, so "nothing published" can be asserted without sleeping.
     */
    void awaitMarker() {
        String d = newDelivery();
        String id =
                delivery("push", d, Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(id, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
    }

    void assertNothingPublishedFor(String deliveryId) {
        awaitMarker();
        assertEquals(List.of(), buildRequests(deliveryId));
    }

    @Test
    void pingIsAnswered() {
        byte[] body = Github.bytes(Github.payload("ping"));
        delivery("ping", newDelivery(), body)
                .post("/webhooks/github")
                .then()
                .statusCode(200)
                .body("pong", equalTo(true))
                .body("zen", equalTo("Design for failure."))
                .body("hookId", equalTo(109948940));
    }

    @Test
    void pushToTheAppBranchStartsOneBuild() {
        String d = newDelivery();
        byte[] body = Github.push();
        String sha = Github.payload("push").get("after").asText(); // shape check below uses body
        Response r =
                delivery("push", d, body)
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .header("Location", endsWith("/releases/" + idOf(d)))
                        .body("app", equalTo("example"))
                        .body("ref", equalTo("refs/heads/main"))
                        .body("redelivery", equalTo(false))
                        .extract()
                        .response();
        String releaseId = r.path("releaseId");
        assertEquals(idOf(d), releaseId);
        EventEnvelope<CanaryEvent> e =
                capture.await(releaseId, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        BuildRequested b = (BuildRequested) e.data();
        assertEquals("example", b.app());
        assertEquals("proserveau/example-app", b.repository());
        assertEquals("https://github.com/proserveau/example-app.git", b.cloneUrl());
        assertEquals("refs/heads/main", b.ref());
        assertEquals(r.path("commitSha"), b.commitSha());
        assertTrue(!b.commitSha().equals(sha), "each test push has its own commit");
        assertEquals("octocat", b.pusher());
        assertEquals(d, b.deliveryId());
        assertEquals("/canary-release/gateway", e.source());
        assertEquals(null, e.causationId());
        assertEquals(releaseId, e.subject());
        awaitMarker();
        assertEquals(1, buildRequests(d).size());
    }

    static String idOf(String deliveryId) {
        return UUID.nameUUIDFromBytes(
                        ("github-delivery:" + deliveryId).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    @Test
    void formEncodedPayloadIsAccepted() {
        String d = newDelivery();
        byte[] json = Github.push();
        byte[] form =
                ("payload="
                                + URLEncoder.encode(
                                        new String(json, StandardCharsets.UTF_8),
                                        StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.US_ASCII);
        String id =
                given().header("X-GitHub-Event", "push")
                        .header("X-GitHub-Delivery", d)
                        .header("X-Hub-Signature-256", Github.sign(form))
                        .contentType("application/x-www-form-urlencoded")
                        .body(new String(form, StandardCharsets.US_ASCII))
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(id, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
    }

    @Test
    void redeliveryGivesTheSameReleaseAndNoSecondEvent() {
        String d = newDelivery();
        byte[] body = Github.push();
        String first =
                delivery("push", d, body)
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(first, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        delivery("push", d, body)
                .post("/webhooks/github")
                .then()
                .statusCode(202)
                .body("releaseId", equalTo(first))
                .body("redelivery", equalTo(true))
                .header("Location", endsWith("/releases/" + first));
        assertNothingMoreThanOne(d);
    }

    void assertNothingMoreThanOne(String d) {
        awaitMarker();
        assertEquals(1, buildRequests(d).size());
    }

    @Test
    void concurrentIdenticalDeliveriesPublishOnce() throws Exception {
        String d = newDelivery();
        byte[] body = Github.push();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(
                        () ->
                                delivery("push", d, body)
                                        .post("/webhooks/github")
                                        .then()
                                        .statusCode(202)
                                        .extract()
                                        .path("releaseId"));
            }
            List<String> ids = new ArrayList<>();
            for (Future<String> f : pool.invokeAll(calls)) {
                ids.add(f.get());
            }
            assertEquals(1, ids.stream().distinct().count(), ids.toString());
        } finally {
            pool.shutdownNow();
        }
        assertNothingMoreThanOne(d);
    }

    @Test
    void otherBranchTagDeletionUnconfiguredRepoAndOtherEventsAreIgnored() {
        record Case(String event, byte[] body, String reason) {}
        List<Case> cases =
                List.of(
                        new Case(
                                "push",
                                Github.push(p -> p.put("ref", "refs/heads/feature")),
                                "push to refs/heads/feature: app example builds branch main"),
                        new Case(
                                "push",
                                Github.push(p -> p.put("ref", "refs/tags/v1.0.0")),
                                "tag push refs/tags/v1.0.0"),
                        new Case(
                                "push",
                                Github.push(
                                        p -> {
                                            p.put("deleted", true);
                                            p.put("after", "0".repeat(40));
                                            p.putNull("head_commit");
                                            p.putArray("commits");
                                        }),
                                "branch deletion refs/heads/main"),
                        new Case(
                                "push",
                                Github.push(
                                        p ->
                                                ((ObjectNode) p.get("repository"))
                                                        .put("full_name", "someone/else")),
                                "repository someone/else is not configured"),
                        new Case("issues", Github.push(), "event 'issues' is not handled"));
        List<String> deliveries = new ArrayList<>();
        for (Case c : cases) {
            String d = newDelivery();
            deliveries.add(d);
            delivery(c.event(), d, c.body())
                    .post("/webhooks/github")
                    .then()
                    .statusCode(202)
                    .header("Location", (String) null)
                    .body("ignored", startsWith(c.reason()));
        }
        awaitMarker();
        for (String d : deliveries) {
            assertEquals(List.of(), buildRequests(d));
        }
    }

    @Test
    void badOrMissingSignatureIs401AndPublishesNothing() {
        String d = newDelivery();
        byte[] body = Github.push();
        given().header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", d)
                .header("X-Hub-Signature-256", WebhookSignatureFor.wrongSecret(body))
                .contentType("application/json")
                .body(body)
                .post("/webhooks/github")
                .then()
                .statusCode(401)
                .body("error", containsString("does not match"));
        given().header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", d)
                .contentType("application/json")
                .body(body)
                .post("/webhooks/github")
                .then()
                .statusCode(401)
                .body("error", equalTo("missing X-Hub-Signature-256"));
        // signed body, then one byte changed
        byte[] tampered = Arrays.copyOf(body, body.length);
        String sig = Github.sign(body);
        tampered[tampered.length - 3] = (byte) (tampered[tampered.length - 3] ^ 1);
        given().header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", d)
                .header("X-Hub-Signature-256", sig)
                .contentType("application/json")
                .body(tampered)
                .post("/webhooks/github")
                .then()
                .statusCode(401);
        assertNothingPublishedFor(d);
    }

    @Test
    void wrongContentTypeIs415() {
        String d = newDelivery();
        byte[] body = Github.push();
        given().header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", d)
                .header("X-Hub-Signature-256", Github.sign(body))
                .contentType("text/plain")
                .body(body)
                .post("/webhooks/github")
                .then()
                .statusCode(415)
                .body("error", containsString("text/plain"));
        assertNothingPublishedFor(d);
    }

    @Test
    void malformedBodiesAre400WithTheReason() {
        String d = newDelivery();
        byte[] broken =
                "{\"ref\": \"refs/heads/main\", \"after\": ".getBytes(StandardCharsets.UTF_8);
        delivery("push", d, broken)
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", startsWith("malformed JSON"));
        byte[] noRepo = Github.push(p -> p.remove("repository"));
        delivery("push", d, noRepo)
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", equalTo("push payload has no 'repository.full_name'"));
        byte[] array = "[1,2]".getBytes(StandardCharsets.UTF_8);
        delivery("push", d, array)
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", equalTo("the payload is not a JSON object"));
        byte[] form = "nopayload=1".getBytes(StandardCharsets.US_ASCII);
        given().header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", d)
                .header("X-Hub-Signature-256", Github.sign(form))
                .contentType("application/x-www-form-urlencoded")
                .body(new String(form, StandardCharsets.US_ASCII))
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", equalTo("form body has no 'payload' field"));
        byte[] body = Github.push();
        given().header("X-GitHub-Delivery", d)
                .header("X-Hub-Signature-256", Github.sign(body))
                .contentType("application/json")
                .body(body)
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", equalTo("missing X-GitHub-Event header"));
        given().header("X-GitHub-Event", "push")
                .header("X-Hub-Signature-256", Github.sign(body))
                .contentType("application/json")
                .body(body)
                .post("/webhooks/github")
                .then()
                .statusCode(400)
                .body("error", equalTo("missing X-GitHub-Delivery header"));
        assertNothingPublishedFor(d);
    }

    @Test
    void bodyOverTheLimitIs413BeforeItIsRead() throws Exception {
        String d = newDelivery();
        // a signed push made bigger than the 4 MiB limit by a long commit message (GitHub's own cap
        // is 25 MB): refused on its Content-Length, the body is never read
        byte[] small = Github.push(p -> ((ObjectNode) p.get("head_commit")).put("message", "@@"));
        String json = new String(small, StandardCharsets.UTF_8);
        int at = json.indexOf("@@");
        byte[] head = json.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] tail = json.substring(at + 2).getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 5 * 1024 * 1024 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        Arrays.fill(body, head.length, head.length + 5 * 1024 * 1024, (byte) 'x');
        System.arraycopy(tail, 0, body, body.length - tail.length, tail.length);
        RawPost.Answer r =
                RawPost.send(
                        RestAssured.port,
                        "/webhooks/github",
                        java.util.Map.of(
                                "X-GitHub-Event",
                                "push",
                                "X-GitHub-Delivery",
                                d,
                                "X-Hub-Signature-256",
                                Github.sign(body),
                                "Content-Type",
                                "application/json"),
                        body,
                        body.length,
                        false);
        assertEquals(413, r.status(), r.toString());
        assertTrue(r.body().contains("is over the 4194304 bytes"), r.body());
        assertEquals("close", r.header("Connection"));
        assertNothingPublishedFor(d);
    }

    @Test
    void theSameBodyUnderAFreshDeliveryIdIsADuplicateAndStartsNothing() {
        String first = newDelivery();
        byte[] body = Github.push();
        String releaseId =
                delivery("push", first, body)
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        BuildRequested b =
                (BuildRequested)
                        capture.await(releaseId, EventType.BUILD_REQUESTED, Duration.ofSeconds(30))
                                .data();
        assertEquals(Github.afterOf(body), b.commitSha());
        // the attacker re-posts the signed body under a delivery id of their own
        String replay = newDelivery();
        delivery("push", replay, body)
                .post("/webhooks/github")
                .then()
                .statusCode(200)
                .header("Location", endsWith("/releases/" + releaseId))
                .body("duplicateOf", equalTo(releaseId))
                .body("releaseId", equalTo(releaseId))
                .body("app", equalTo("example"))
                .body("commitSha", equalTo(b.commitSha()))
                .body("deliveryId", equalTo(replay))
                .body("firstDeliveryId", equalTo(first))
                .body("redelivery", equalTo(false))
                .body("reason", containsString("built once per app and commit"));
        // a different commit of the same app still releases
        String next = newDelivery();
        String nextId =
                delivery("push", next, Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .body("redelivery", equalTo(false))
                        .extract()
                        .path("releaseId");
        assertTrue(!nextId.equals(releaseId));
        capture.await(nextId, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        assertEquals(List.of(), buildRequests(replay));
        assertEquals(1, buildRequestsOfCommit(b.commitSha()).size());
    }

    List<BuildRequested> buildRequestsOfCommit(String sha) {
        return capture.events().stream()
                .filter(e -> e.type() == EventType.BUILD_REQUESTED)
                .map(e -> (BuildRequested) e.data())
                .filter(b -> sha.equals(b.commitSha()))
                .toList();
    }

    @Test
    void concurrentPushesOfOneCommitUnderManyDeliveryIdsPublishOnce() throws Exception {
        byte[] body = Github.push();
        String sha = Github.afterOf(body);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Integer> statuses = new ArrayList<>();
        try {
            List<Callable<Response>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String d = newDelivery();
                calls.add(() -> delivery("push", d, body).post("/webhooks/github"));
            }
            List<String> ids = new ArrayList<>();
            for (Future<Response> f : pool.invokeAll(calls)) {
                Response r = f.get();
                statuses.add(r.statusCode());
                ids.add(r.path("releaseId"));
            }
            assertEquals(1, ids.stream().distinct().count(), ids.toString());
        } finally {
            pool.shutdownNow();
        }
        statuses.sort(null);
        assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 202), statuses);
        awaitMarker();
        assertEquals(1, buildRequestsOfCommit(sha).size());
    }

    /** A signature made with another secret. */
    static final class WebhookSignatureFor {
        static String wrongSecret(byte[] body) {
            return dev.canaryrelease.gateway.domain.WebhookSignature.sign("not the secret", body);
        }
    }
}
