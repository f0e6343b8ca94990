package dev.canaryrelease.dns;

import static dev.canaryrelease.testsupport.TestTokens.OPERATOR_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * What a caller without the right token gets from the DNS API: the records need a viewer, a
 * reconcile an operator; a refused reconcile changes nothing on the real named.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(NamedTestResource.class)
class ApiAuthTest {
    static final String CHALLENGE = "Bearer realm=\"canary-release\"";

    @Test
    void withoutAKnownTokenRecordsAndReconcileAre401WithTheChallenge() {
        given().get("/records")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("missing bearer token"))
                .body(not(containsString("docker0")));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN + "0"))
                .get("/records")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("unknown token"));
        given().post("/reconcile")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", CHALLENGE)
                .body("error", equalTo("missing bearer token"));
    }

    @Test
    void aViewerReadsTheRecordsButCannotReconcileAnOperatorCan() {
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("backend", is("bind"))
                .body("records.name", hasItem("docker0"));

        // the zone loses its records (as after a restart from the original zone file)
        NamedTestResource.named.restartFromOriginalZone();
        assertEquals(List.of(), DnsBindTest.query("docker0", Type.A));

        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(403)
                .body("error", equalTo(VIEWER + " is a viewer: this needs the operator role"));
        assertEquals(
                List.of(),
                DnsBindTest.query("docker0", Type.A),
                "a refused reconcile changed nothing");

        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(200)
                .body("changes.name", hasItem("docker0.proserveau.local"))
                .body("changes.ok", everyItem(is(true)));
        assertEquals(List.of("127.0.0.11"), DnsBindTest.query("docker0", Type.A));
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
