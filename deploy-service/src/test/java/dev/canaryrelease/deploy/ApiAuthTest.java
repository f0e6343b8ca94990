package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.OPERATOR_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.testsupport.KafkaTestResource;

/** What a caller without the right token gets from the deploy API: releases and hosts. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(DeployInfraResource.class)
class ApiAuthTest {
    static final String CHALLENGE = "Bearer realm=\"canary-release\"";

    @Test
    void withoutAKnownTokenReleasesAndHostsAre401WithTheChallenge() {
        for (String path : new String[] {"/releases", "/releases/nope", "/hosts"}) {
            given().get(path)
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", CHALLENGE)
                    .body("error", equalTo("missing bearer token"))
                    .body(not(containsString("docker0")));
            given().header(AUTHORIZATION, bearer("an-old-token-0123456789"))
                    .get(path)
                    .then()
                    .statusCode(401)
                    .header("WWW-Authenticate", CHALLENGE)
                    .body("error", equalTo("unknown token"));
        }
    }

    @Test
    void aViewerOrAnOperatorReadsReleasesAndHosts() {
        for (String token : new String[] {VIEWER_TOKEN, OPERATOR_TOKEN}) {
            given().header(AUTHORIZATION, bearer(token)).get("/releases").then().statusCode(200);
            given().header(AUTHORIZATION, bearer(token))
                    .get("/hosts")
                    .then()
                    .statusCode(200)
                    .body("host", hasItems("docker0", "docker1"));
            given().header(AUTHORIZATION, bearer(token))
                    .get("/releases/nope")
                    .then()
                    .statusCode(404);
        }
    }

    @Test
    void theApiHasNoWriteWhateverTheToken() {
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/releases")
                .then()
                .statusCode(405);
    }

    @Test
    void healthAndMetricsNeedNoToken() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        given().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
        given().get("/q/metrics").then().statusCode(200);
    }
}
