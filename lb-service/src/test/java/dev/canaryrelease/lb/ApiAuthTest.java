package dev.canaryrelease.lb;

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

/** What a caller without the right token gets from the pools API. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbInfraResource.class)
class ApiAuthTest {
    static final String CHALLENGE = "Bearer realm=\"canary-release\"";

    @Test
    void withoutAKnownTokenThePoolsAre401WithTheChallengeAndNoServer() {
        given().get("/pools")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("missing bearer token"))
                .body(not(containsString("docker0")));
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN.substring(1)))
                .get("/pools")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("unknown token"));
    }

    @Test
    void aViewerOrAnOperatorReadsThePools() {
        for (String token : new String[] {VIEWER_TOKEN, OPERATOR_TOKEN}) {
            given().header(AUTHORIZATION, bearer(token))
                    .get("/pools")
                    .then()
                    .statusCode(200)
                    .body("name", hasItems("a", "b"));
        }
    }

    @Test
    void theApiHasNoWriteWhateverTheToken() {
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN)).post("/pools").then().statusCode(405);
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
