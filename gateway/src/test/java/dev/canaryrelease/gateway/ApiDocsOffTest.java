package dev.canaryrelease.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * A gateway bound to every address ({@code 0.0.0.0}, as in a container) does not publish its API
 * documents unless {@code canary.gateway.api-docs} is set. The test talks to it on 127.0.0.1 only.
 */
@QuarkusTest
@TestProfile(ApiDocsOffTest.BoundToEveryAddress.class)
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class ApiDocsOffTest {

    public static class BoundToEveryAddress implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // plain HTTP off loopback is refused unless a proxy terminates TLS (PlainHttpGuard)
            return Map.of("quarkus.http.host", "0.0.0.0", "canary.gateway.plain-http", "true");
        }
    }

    @Test
    void offLoopbackTheApiDocumentsAre404() {
        given().get("/q/openapi")
                .then()
                .statusCode(404)
                .body("error", containsString("the gateway binds 0.0.0.0"));
        given().get("/q/openapi.json").then().statusCode(404);
        given().get("/q/openapi?format=json").then().statusCode(404);
        given().get("/q/swagger-ui").then().statusCode(404);
        given().get("/q/swagger-ui/index.html").then().statusCode(404);
        // the rest of the gateway answers as usual
        Ready.await();
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/releases").then().statusCode(401);
    }
}
