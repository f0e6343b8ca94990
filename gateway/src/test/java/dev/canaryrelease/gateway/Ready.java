package dev.canaryrelease.gateway;

import static io.restassured.RestAssured.given;

import java.time.Duration;

import org.awaitility.Awaitility;

/** Waits, as a load balancer would, until the gateway reports ready (its replay caught up). */
final class Ready {
    private Ready() {}

    static void await() {
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> given().get("/q/health/ready").statusCode() == 200);
    }
}
