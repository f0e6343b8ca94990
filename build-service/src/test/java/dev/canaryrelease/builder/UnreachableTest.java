package dev.canaryrelease.builder;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** An engine that is down and a git server that hangs: the build fails with why, and fast. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(UnreachableInfra.class)
class UnreachableTest {
    static EventSender sender;
    static EventCapture capture;

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

    static BuildRequested request(String cloneUrl, String sha) {
        return request("example", GitFixture.REPOSITORY, cloneUrl, sha);
    }

    static BuildRequested request(String app, String repository, String cloneUrl, String sha) {
        return new BuildRequested(
                UUID.randomUUID().toString(),
                app,
                repository,
                cloneUrl,
                "refs/heads/main",
                sha,
                "octocat",
                "delivery-" + UUID.randomUUID());
    }

    static BuildFailed awaitFailure(String release, Duration timeout) {
        EventEnvelope<CanaryEvent> e =
                capture.await(
                        x ->
                                x.releaseId().equals(release)
                                        && (x.type() == EventType.BUILD_FAILED
                                                || x.type() == EventType.BUILD_SUCCEEDED),
                        timeout);
        assertTrue(e.data() instanceof BuildFailed, "expected build.failed, got " + e.data());
        return (BuildFailed) e.data();
    }

    @Test
    void anEngineThatIsDownFailsTheBuildWithItsAddress() {
        String sha = UnreachableInfra.git.commitApp("v-down");
        long t0 = System.nanoTime();
        String release = sender.send(request(GitFixture.CLONE_URL, sha)).data().releaseId();
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(30));
        assertTrue(
                f.reason()
                        .startsWith(
                                "engine unreachable: docker0 (tcp://127.0.0.1:"
                                        + UnreachableInfra.enginePort
                                        + "): "),
                f.reason());
        assertTrue(f.reason().contains("refused"), f.reason());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 20_000, "slow failure");
    }

    @Test
    void aBuildThatOutlivesItsDeadlineIsStopped() {
        String sha = UnreachableInfra.git.commitApp("v-hang");
        String release =
                sender.send(
                                request(
                                        "hanging",
                                        UnreachableInfra.HANGING_REPOSITORY,
                                        "https://github.com/proserveau/hanging-app.git",
                                        sha))
                        .data()
                        .releaseId();
        capture.await(release, EventType.BUILD_STARTED, Duration.ofSeconds(30));
        BuildFailed f = awaitFailure(release, Duration.ofSeconds(30));
        assertEquals(
                "timeout: the build ran longer than its deadline of 8s and was stopped"
                        + " (canary.build.deadline)",
                f.reason());
        assertTrue(f.durationMs() >= 8000 && f.durationMs() < 15_000, "took " + f.durationMs());
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/builds/" + release)
                .then()
                .statusCode(200)
                .body("status", equalTo("FAILED"))
                .body("reason", startsWith("timeout"));
    }

    @Test
    void aForgedCloneUrlGetsNoRequestAndTheTokenGoesOnlyToTheFleetsGitHost() {
        // the forged event names the attacker's server: the build fetches the fleet's repository
        // (it gets as far as the engine, which is down here) and the attacker hears nothing
        String sha = UnreachableInfra.git.commitApp("v-forged");
        String forged =
                sender.send(request(UnreachableInfra.attacker.url() + "steal/it.git", sha))
                        .data()
                        .releaseId();
        BuildFailed f = awaitFailure(forged, Duration.ofSeconds(30));
        assertTrue(f.reason().startsWith("engine unreachable: docker0"), f.reason());
        String log =
                given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                        .get("/builds/" + forged + "/log")
                        .body()
                        .asString();
        assertTrue(log.contains("git: wrote 4 files of " + sha.substring(0, 12)), log);
        assertTrue(log.contains("proserveau/example-app"), log);
        assertEquals(List.of(), UnreachableInfra.attacker.requests());

        // the fleet's own git host does get the token (so the check above could fail)
        String recorded =
                sender.send(
                                request(
                                        "recorded",
                                        UnreachableInfra.RECORDED_REPOSITORY,
                                        UnreachableInfra.attacker.url() + "x.git",
                                        sha))
                        .data()
                        .releaseId();
        BuildFailed r = awaitFailure(recorded, Duration.ofSeconds(30));
        assertTrue(
                r.reason().startsWith("clone failed: " + UnreachableInfra.gitHost.url()),
                r.reason());
        assertFalse(r.reason().contains(UnreachableInfra.TOKEN), r.reason());
        String basic =
                "Basic "
                        + Base64.getEncoder()
                                .encodeToString(
                                        ("x-access-token:" + UnreachableInfra.TOKEN)
                                                .getBytes(StandardCharsets.UTF_8));
        List<RecordingGitServer.Request> seen = UnreachableInfra.gitHost.requests();
        assertTrue(
                seen.stream()
                        .anyMatch(
                                q ->
                                        basic.equals(q.authorization())
                                                && q.path()
                                                        .startsWith(
                                                                "/"
                                                                        + UnreachableInfra
                                                                                .RECORDED_REPOSITORY
                                                                        + ".git/")),
                seen.toString());
        assertEquals(List.of(), UnreachableInfra.attacker.requests());
    }
}
