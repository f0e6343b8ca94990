package dev.canaryrelease.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/** Bound to 127.0.0.1 (the default), the gateway serves its API documents. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class ApiDocsTest {

    @Test
    void onLoopbackTheApiDocumentsAnswer() {
        given().get("/q/openapi").then().statusCode(200).body(containsString("/webhooks/github"));
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
