package dev.canaryrelease.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.gateway.domain.BodyBudget;
import dev.canaryrelease.gateway.rest.BodyLimits;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * The attack of issue 20: 20 concurrent unsigned 25 MB posts to the webhook (half with a {@code
 * Content-Length}, half chunked), sent the way a script sends them (the whole body at once, no
 * {@code Expect: 100-continue}). What the attacker gets: 413 or 503, never 500; what the gateway
 * keeps: readiness, and a signed push sent during the flood is released.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class WebhookFloodTest {
    static final long MB25 = 25L * 1024 * 1024;

    static EventCapture capture;
    static final List<LogRecord> oom = new CopyOnWriteArrayList<>();
    static final Handler OOM_WATCH =
            new Handler() {
                @Override
                public void publish(LogRecord r) {
                    Throwable t = r.getThrown();
                    String m = r.getMessage();
                    if ((t != null && hasOom(t)) || (m != null && m.contains("OutOfMemoryError"))) {
                        oom.add(r);
                    }
                }

                @Override
                public void flush() {}

                @Override
                public void close() {}
            };

    static boolean hasOom(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof OutOfMemoryError) return true;
        }
        return false;
    }

    @Inject BodyLimits limits;

    @BeforeAll
    static void start() {
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.GATEWAY);
        java.util.logging.Logger.getLogger("").addHandler(OOM_WATCH);
    }

    @AfterAll
    static void stop() {
        java.util.logging.Logger.getLogger("").removeHandler(OOM_WATCH);
        capture.close();
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    static Map<String, String> unsigned() {
        return Map.of(
                "X-GitHub-Event", "push",
                "X-GitHub-Delivery", UUID.randomUUID().toString(),
                "Content-Type", "application/json",
                "User-Agent", "flood");
    }

    @Test
    void twentyConcurrentUnsigned25MbPostsAreRefusedAndASignedPushStillReleases() throws Exception {
        BodyBudget budget = limits.budget();
        int port = RestAssured.port;
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RawPost.Answer>> flood = new ArrayList<>();
        byte[] prefix = "{\"ref\":\"refs/heads/main\",\"pad\":\"".getBytes();
        try {
            for (int i = 0; i < 20; i++) {
                boolean chunked = i % 2 == 1;
                flood.add(
                        pool.submit(
                                () -> {
                                    go.await();
                                    return RawPost.send(
                                            port,
                                            "/webhooks/github",
                                            unsigned(),
                                            prefix,
                                            MB25,
                                            chunked);
                                }));
            }
            go.countDown();
            // the flood is under way once the budget holds chunked bodies being read
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> budget.used() > 0 || flood.stream().allMatch(Future::isDone));

            // during the flood: ready, and a signed push gets its release
            given().get("/q/health/ready").then().statusCode(200);
            String d = UUID.randomUUID().toString();
            String id =
                    Github.delivery("push", d, Github.push())
                            .post("/webhooks/github")
                            .then()
                            .statusCode(202)
                            .extract()
                            .path("releaseId");
            BuildRequested b =
                    (BuildRequested)
                            capture.await(id, EventType.BUILD_REQUESTED, Duration.ofSeconds(30))
                                    .data();
            assertEquals(d, b.deliveryId());

            List<RawPost.Answer> answers = new ArrayList<>();
            for (Future<RawPost.Answer> f : flood) {
                answers.add(f.get(120, TimeUnit.SECONDS));
            }
            List<Integer> statuses = answers.stream().map(RawPost.Answer::status).toList();
            for (RawPost.Answer a : answers) {
                assertTrue(
                        Set.of(413, 429, 503).contains(a.status()),
                        "every flood post is refused with 413/429/503: " + statuses + " " + a);
                if (a.status() == 503) {
                    assertEquals("1", a.header("Retry-After"), a.toString());
                }
            }
            // the ten posts with a Content-Length were refused before their body was read
            for (int i = 0; i < 20; i += 2) {
                assertEquals(413, answers.get(i).status(), answers.get(i).toString());
                assertTrue(
                        answers.get(i).body().contains("over the 4194304 bytes"),
                        answers.get(i).body());
            }
        } finally {
            pool.shutdownNow();
        }
        // at no time more unverified bytes than the budget; all of them given back
        assertTrue(
                budget.highWater() <= budget.total(), budget.highWater() + " > " + budget.total());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> budget.used() == 0);
        given().get("/q/health/ready").then().statusCode(200);
        assertEquals(List.of(), oom, "no OutOfMemoryError logged");
    }

    @Test
    void anAnsweredPushGivesItsShareBack() {
        String id =
                Github.delivery("push", UUID.randomUUID().toString(), Github.push())
                        .post("/webhooks/github")
                        .then()
                        .statusCode(202)
                        .extract()
                        .path("releaseId");
        capture.await(id, EventType.BUILD_REQUESTED, Duration.ofSeconds(30));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> limits.budget().used() == 0);
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws Exception {
        byte[] body = Github.push();
        Map<String, String> h =
                Map.of(
                        "X-GitHub-Event",
                        "push",
                        "X-GitHub-Delivery",
                        UUID.randomUUID().toString(),
                        "X-Hub-Signature-256",
                        Github.sign(body),
                        "Content-Type",
                        "application/json");
        RawPost.Answer a =
                RawPost.send(RestAssured.port, "/webhooks/github", h, body, 5L << 20, true);
        assertEquals(413, a.status(), a.toString());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> limits.budget().used() == 0);
    }

    @Test
    void aBadContentLengthIs400() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(
                            ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\n"
                                            + "Content-Length: 12abc\r\n\r\n")
                                    .getBytes());
            String answer = new String(s.getInputStream().readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        }
    }

    @Test
    void aSlowBodyIs408AndGivesItsShareBack() throws Exception {
        long before = limits.budget().used();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(
                            ("POST /webhooks/github HTTP/1.1\r\nHost: x\r\n"
                                            + "Content-Type: application/json\r\n"
                                            + "Content-Length: 1000\r\n\r\n{\"ref\":")
                                    .getBytes());
            s.getOutputStream().flush();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> limits.budget().used() >= before + 1000);
            String answer = new String(s.getInputStream().readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("did not arrive within 10000 ms"), answer);
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> limits.budget().used() <= before);
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }
}
