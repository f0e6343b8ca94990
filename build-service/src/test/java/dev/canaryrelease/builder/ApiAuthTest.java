package dev.canaryrelease.builder;

import static dev.canaryrelease.testsupport.TestTokens.OPERATOR_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.time.Duration;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** What a caller without the right token gets from the build API: builds and their logs. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(UnreachableInfra.class)
class ApiAuthTest {
    static final String CHALLENGE = "Bearer realm=\"canary-release\"";
    static String release;

    /** One build (it fails: the engine is down), so there is a build and a log to read. */
    @BeforeAll
    static void aBuild() {
        try (EventSender sender =
                        Kafka.withKafkaLoader(
                                () ->
                                        new EventSender(
                                                KafkaTestResource.bootstrapServers(), "gateway"));
                EventCapture capture =
                        Kafka.withKafkaLoader(
                                () ->
                                        EventCapture.start(
                                                KafkaTestResource.bootstrapServers(),
                                                Topics.BUILD))) {
            String sha = UnreachableInfra.git.commitApp("v-auth");
            release =
                    sender.send(
                                    new BuildRequested(
                                            UUID.randomUUID().toString(),
                                            "example",
                                            GitFixture.REPOSITORY,
                                            GitFixture.CLONE_URL,
                                            "refs/heads/main",
                                            sha,
                                            "octocat",
                                            "delivery-" + UUID.randomUUID()))
                            .data()
                            .releaseId();
            capture.await(release, EventType.BUILD_FAILED, Duration.ofSeconds(30));
        }
    }

    @Test
    void withoutAKnownTokenABuildAndItsLogAre401WithTheChallenge() {
        for (String path : new String[] {"/builds/" + release, "/builds/" + release + "/log"}) {
            given().get(path)
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", CHALLENGE)
                    .body("error", equalTo("missing bearer token"))
                    .body(not(containsString(release)));
            given().header(AUTHORIZATION, bearer(VIEWER_TOKEN + "x"))
                    .get(path)
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", CHALLENGE)
                    .body("error", equalTo("unknown token"));
            given().header(AUTHORIZATION, "Basic " + VIEWER_TOKEN)
                    .get(path)
                    .then()
                    .statusCode(401)
                    .body("error", equalTo("the Authorization header is not a bearer token"));
        }
    }

    @Test
    void aViewerOrAnOperatorReadsABuildAndItsLog() {
        for (String token : new String[] {VIEWER_TOKEN, OPERATOR_TOKEN}) {
            given().header(AUTHORIZATION, bearer(token))
                    .get("/builds/" + release)
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("FAILED"));
            given().header(AUTHORIZATION, bearer(token))
                    .get("/builds/" + release + "/log")
                    .then()
                    .statusCode(200)
                    .body(containsString("build failed: engine unreachable"));
        }
    }

    @Test
    void theApiHasNoWriteWhateverTheToken() {
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/builds/" + release)
                .then()
                .statusCode(405);
    }

    @Test
    void healthAndMetricsNeedNoToken() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        given().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
        given().get("/q/metrics").then().statusCode(200);
    }
}
