package dev.canaryrelease.deploy;

import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * The engine of the canary host stops answering right after deploy-service told the old container
 * to stop (the link to the engine is cut mid-call): the host is dark and drained. When the engine
 * answers again, without a restart of the service, the swap picks up what was left, the host serves
 * the new version with one app container, and the release goes on to PROMOTED.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(EngineOutageResource.class)
class EngineOutageMidSwapTest {
    static final String APP = EngineOutageResource.APP;
    static final Duration SWAP = PlayedServices.SWAP;
    static PlayedServices played;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
    }

    static double retries() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines()
                .filter(l -> l.startsWith("deploy_swap_retries_total{"))
                .filter(l -> l.contains("host=\"docker0\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    @Test
    void anEngineThatStopsAnsweringAfterTheOldContainerStoppedHealsWhenItIsBack() throws Exception {
        EngineRelay relay = EngineOutageResource.relay;
        String rel = "outage-" + UUID.randomUUID();
        var d0 = Infra.docker0;
        String oldId =
                d0.docker("inspect", "-f", "{{.Id}}", Infra.CONTAINER).orThrow().stdout().strip();
        // the engine's own event stream says when deploy-service's stop reached the old container
        Process events =
                d0.dockerInBackground(
                        "events",
                        "--filter",
                        "container=" + oldId,
                        "--filter",
                        "event=kill",
                        "--format",
                        "{{.Action}} {{.Actor.Attributes.signal}}");
        CompletableFuture<String> killed =
                CompletableFuture.supplyAsync(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    events.getInputStream(),
                                                    StandardCharsets.UTF_8))) {
                                String line = r.readLine();
                                relay.cutNow(); // at once: the stop call is still in flight
                                return line;
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
        try {
            played.registry.send(new ImagePushed(rel, APP, Infra.REPO, "v2", Infra.v2));
            EventEnvelope<HostUpdateRequested> req = played.requested(rel, "docker0", Stage.CANARY);
            EventEnvelope<HostDrained> drained =
                    played.lb.send(
                            req, new HostDrained(rel, APP, "docker0", Stage.CANARY, 0, 3, false));

            String signal = killed.get(60, TimeUnit.SECONDS);
            assertEquals("kill 28", signal, "the stop sent SIGWINCH (28) to the old container");
            // while the link is cut: the old container dies at the stop timeout, docker0 serves
            // nothing, and the swap keeps trying the engine instead of failing the release
            Awaitility.await("docker0 is dark and the swap tries the engine again")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> !Infra.page(d0).startsWith("200") && retries() >= 5);
            assertTrue(relay.refused.get() >= 4, "the relay refused " + relay.refused);
            assertEquals(
                    List.of(Infra.CONTAINER + " exited"),
                    Infra.containers(d0, true),
                    "the old container is stopped, nothing else exists yet");
            assertTrue(
                    played.capture.events(rel).stream()
                            .noneMatch(e -> e.type() == EventType.HOST_UPDATE_FAILED),
                    "no failure while the engine is away: " + played.capture.events(rel));
            given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                    .get("/releases/" + rel)
                    .then()
                    .statusCode(200)
                    .body("phase", equalTo("CANARY_UPDATING"))
                    .body("hosts.docker0.step", equalTo("SWAPPING"));

            relay.cut.set(false); // the engine answers again
            EventEnvelope<CanaryEvent> updated =
                    played.capture.await(e -> drained.id().equals(e.causationId()), SWAP);
            assertEquals(EventType.HOST_UPDATED, updated.type(), updated.data().toString());
            HostUpdated u = (HostUpdated) updated.data();
            assertEquals(Infra.v2, u.digest());
            assertEquals(Infra.v1, u.previousDigest());
            Infra.awaitPage(d0, "v2");
            assertEquals(
                    List.of(Infra.CONTAINER),
                    Infra.containers(d0, false),
                    "one app container runs");

            played.enable(updated); // lb puts docker0 back in the pool
            EventEnvelope<CanaryEvent> live =
                    played.capture.await(rel, EventType.CANARY_LIVE, SWAP);
            played.gateway.send(
                    live, new PromotionRequested(rel, APP, "alice", "after the outage"));
            played.cycle(rel, "docker1", Stage.PROMOTION);
            played.capture.await(rel, EventType.RELEASE_PROMOTED, SWAP);
            long results =
                    played.capture.events(rel).stream()
                            .filter(e -> e.type() == EventType.HOST_UPDATED)
                            .filter(e -> ((HostUpdated) e.data()).host().equals("docker0"))
                            .count();
            assertEquals(1, results, "docker0 was swapped once: " + played.capture.events(rel));
        } finally {
            relay.cut.set(false);
            events.destroy();
        }
    }
}
