package dev.canaryrelease.build;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** Builds on a real dockerd over TLS, pushes to a real registry, from a local git repository. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(RealInfra.class)
class BuildServiceTest {
    static final Duration BUILD = Duration.ofSeconds(120);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static EventSender sender;
    static EventCapture capture;

    @TestHTTPResource("/")
    URL base;

    @BeforeAll
    static void start() {
        sender =
                Kafka.withKafkaLoader(
                        () -> new EventSender(KafkaTestResource.bootstrapServers(), "gateway"));
        capture =
                Kafka.withKafkaLoader(
                        () ->
                                EventCapture.start(
                                        KafkaTestResource.bootstrapServers(), Topics.BUILD));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    static BuildRequested request(String sha) {
        return new BuildRequested(
                UUID.randomUUID().toString(),
                "example",
                GitFixture.REPOSITORY,
                GitFixture.CLONE_URL,
                "refs/heads/main",
                sha,
                "octocat",
                "delivery-" + UUID.randomUUID());
    }

    /** The end of a build: its build.succeeded or build.failed. */
    static EventEnvelope<CanaryEvent> awaitEnd(String release, Duration timeout) {
        return capture.await(
                e ->
                        e.releaseId().equals(release)
                                && (e.type() == EventType.BUILD_SUCCEEDED
                                        || e.type() == EventType.BUILD_FAILED),
                timeout);
    }

    static BuildFailed awaitFailure(String release, Duration timeout) {
        CanaryEvent e = awaitEnd(release, timeout).data();
        assertTrue(e instanceof BuildFailed, "expected build.failed, got " + e);
        return (BuildFailed) e;
    }

    static EventEnvelope<BuildSucceeded> awaitSuccess(String release, Duration timeout) {
        EventEnvelope<CanaryEvent> e = awaitEnd(release, timeout);
        assertTrue(e.data() instanceof BuildSucceeded, "expected build.succeeded, got " + e.data());
        @SuppressWarnings("unchecked")
        EventEnvelope<BuildSucceeded> s = (EventEnvelope<BuildSucceeded>) (EventEnvelope<?>) e;
        return s;
    }

    static HttpResponse<String> get(String url, String accept) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void goodCommitEndsInTheRegistryWithItsLabelsAndARedeliveryIsNotRebuilt() throws Exception {
        String sha = RealInfra.git.commitApp("v1");
        EventEnvelope<BuildRequested> req = sender.send(request(sha));
        String release = req.data().releaseId();

        EventEnvelope<BuildStarted> started =
                capture.await(release, EventType.BUILD_STARTED, Duration.ofSeconds(30));
        assertEquals(req.id(), started.causationId());
        EventEnvelope<BuildSucceeded> ok = awaitSuccess(release, BUILD);
        assertEquals(req.id(), ok.causationId());
        BuildSucceeded s = ok.data();
        String tag = sha.substring(0, 12);
        assertEquals(RealInfra.registry.address() + "/example-app", s.image());
        assertEquals(tag, s.tag());
        assertTrue(s.digest().matches("sha256:[0-9a-f]{64}"), s.digest());
        assertTrue(s.durationMs() > 0);
        assertEquals("/builds/" + release + "/log", s.logLocation());

        // the registry has the tag, its manifest has the pushed digest, its config the labels
        String reg = RealInfra.registry.url();
        JsonNode tags = JSON.readTree(get(reg + "/v2/example-app/tags/list", null).body());
        assertTrue(tags.get("tags").toString().contains("\"" + tag + "\""), tags.toString());
        HttpResponse<String> manifest =
                get(
                        reg + "/v2/example-app/manifests/" + tag,
                        "application/vnd.docker.distribution.manifest.v2+json");
        assertEquals(200, manifest.statusCode());
        assertEquals(
                s.digest(), manifest.headers().firstValue("Docker-Content-Digest").orElse(null));
        String configDigest = JSON.readTree(manifest.body()).at("/config/digest").asText();
        JsonNode labels =
                JSON.readTree(get(reg + "/v2/example-app/blobs/" + configDigest, null).body())
                        .at("/config/Labels");
        assertEquals(sha, labels.get("org.opencontainers.image.revision").asText());
        assertEquals(GitFixture.CLONE_URL, labels.get("org.opencontainers.image.source").asText());
        assertEquals(release, labels.get("dev.canaryrelease.release-id").asText());

        // status, log, workspace gone
        given().get("/builds/" + release)
                .then()
                .statusCode(200)
                .body("status", equalTo("SUCCEEDED"))
                .body("digest", equalTo(s.digest()))
                .body("tag", equalTo(tag));
        given().get("/builds/" + release + "/log")
                .then()
                .statusCode(200)
                .body(containsString("Step 1/"))
                .body(containsString("git: checked out " + tag))
                .body(containsString("build succeeded"));
        given().get("/builds/" + UUID.randomUUID()).then().statusCode(404);
        assertTrue(Files.notExists(RealInfra.dataDir.resolve("work").resolve(release)));

        // a redelivered request re-emits the result, caused by it, without a new build
        sender.send(req);
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> count(release, EventType.BUILD_SUCCEEDED) == 2);
        assertEquals(1, count(release, EventType.BUILD_STARTED));
        BuildSucceeded again =
                (BuildSucceeded)
                        capture.events(release).stream()
                                .filter(e -> e.type() == EventType.BUILD_SUCCEEDED)
                                .reduce((a, b) -> b)
                                .orElseThrow()
                                .data();
        assertEquals(s.digest(), again.digest());
    }

    static long count(String release, EventType type) {
        return capture.events(release).stream().filter(e -> e.type() == type).count();
    }

    @Test
    void brokenDockerfileNamesTheFailingStepAndItsLastLines() {
        RealInfra.git.commitApp("v-broken");
        String sha =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo compiling the app; echo 'error: 3 tests failed' >&2; exit 3"]
                        COPY start.sh app.env /app/
                        """,
                        "a step that fails");
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, BUILD);
        assertTrue(
                f.reason()
                        .matches(
                                "(?s)build step failed: Step 3/\\d+ : RUN \\[\"/bin/busybox\", \"sh\".*"),
                f.reason());
        assertTrue(f.reason().contains("returned a non-zero code: 3"), f.reason());
        assertTrue(f.reason().contains("error: 3 tests failed"), f.reason());
        given().get("/builds/" + release)
                .then()
                .statusCode(200)
                .body("status", equalTo("FAILED"))
                .body("reason", containsString("Step 3/"));
    }

    @Test
    void unknownCommitFails() {
        String release =
                sender.send(request("0123456789abcdef0123456789abcdef01234567")).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(f.reason().startsWith("commit not found: 0123456789abcdef"), f.reason());
    }

    @Test
    void missingDockerfileFails() {
        RealInfra.git.commitApp("v-nodockerfile");
        String sha = RealInfra.git.commitWithoutDockerfile();
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(
                f.reason()
                        .startsWith(
                                "no Dockerfile: 'Dockerfile' not found at commit "
                                        + sha.substring(0, 12)),
                f.reason());
    }

    @Test
    void aBaseImageFromDockerHubIsRefusedBeforeTheEngineSeesIt() {
        String sha =
                RealInfra.git.commitDockerfile(
                        "FROM alpine:3.20\nRUN echo never\n", "a Docker Hub base image");
        String release = sender.send(request(sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(60));
        assertTrue(f.reason().startsWith("base image refused: FROM alpine:3.20"), f.reason());
    }

    @Test
    void aRegistryThatRefusesFailsThePush() {
        String sha = RealInfra.git.commitApp("v-noregistry");
        RealInfra.registry.stop();
        try {
            String release = sender.send(request(sha)).data().releaseId();
            BuildFailed f = awaitFailure(release, BUILD);
            assertTrue(
                    f.reason().startsWith("push refused: registry " + RealInfra.registry.address()),
                    f.reason());
        } finally {
            RealInfra.registry.restart();
        }
    }

    @Test
    void aNewerCommitSupersedesTheRunningBuild() throws Exception {
        RealInfra.git.commitApp("v-slow");
        String slow =
                RealInfra.git.commitDockerfile(
                        """
                        FROM scratch
                        COPY busybox /bin/busybox
                        RUN ["/bin/busybox", "sh", "-c", "echo slow step started; exec /bin/busybox sleep 120"]
                        """,
                        "a slow step");
        String older = sender.send(request(slow)).data().releaseId();
        Awaitility.await()
                .atMost(BUILD)
                .failFast("the slow build ended", () -> count(older, EventType.BUILD_FAILED) > 0)
                .until(
                        () ->
                                given().get("/builds/" + older + "/log")
                                        .body()
                                        .asString()
                                        .contains("slow step started"));
        given().get("/builds/" + older).then().body("status", equalTo("RUNNING"));

        // a follower streams the log while it runs and the stream ends with the build
        CompletableFuture<HttpResponse<String>> follow =
                HTTP.sendAsync(
                        HttpRequest.newBuilder(
                                        base.toURI()
                                                .resolve("builds/" + older + "/log?follow=true"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        String good = RealInfra.git.commitApp("v3");
        String newer = sender.send(request(good)).data().releaseId();
        BuildFailed f = awaitFailure(older, Duration.ofSeconds(20));
        assertEquals("superseded", f.reason());
        assertEquals(0, count(older, EventType.BUILD_SUCCEEDED));

        HttpResponse<String> followed = follow.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, followed.statusCode());
        assertTrue(followed.body().contains("slow step started"), followed.body());
        assertTrue(followed.body().contains("superseded by release " + newer), followed.body());

        awaitSuccess(newer, BUILD);
        // the engine stopped the slow step's container
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> RealInfra.engine.docker("ps", "-q").stdout().isBlank());
    }
}
