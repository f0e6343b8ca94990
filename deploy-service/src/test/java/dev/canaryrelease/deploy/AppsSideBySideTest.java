package dev.canaryrelease.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;

/**
 * Two apps released at once on the same host: the canary of one app does not wait for the other
 * app's swap on that host. App {@code stuck}'s new container never answers its health check (it
 * listens on 3000, its port is 3002; inside its start grace that is silence), so its swap takes the
 * whole health deadline; app {@code quick}, drained just after it on the same engine, goes live
 * long before. Real engines, registry and broker; the test plays lb-service and registry-service.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(AppsSideBySideTest.Resource.class)
class AppsSideBySideTest {
    static final String STUCK = "stuck";
    static final String QUICK = "quick";
    static final String QUICK_REPO = "quick-app";
    static final Duration WAIT = PlayedServices.SWAP;

    static String quickV2;
    static PlayedServices played;

    /** Two apps on the deploy infrastructure; a 12 s health deadline. */
    public static class Resource extends DeployInfraResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new java.util.HashMap<>(super.start());
            quickV2 =
                    ExampleApp.buildAndPush(
                            Infra.docker0, Infra.registry.address(), QUICK_REPO, "v2", "v2", false);
            Map<String, String> apps = new LinkedHashMap<>();
            apps.put(
                    STUCK,
                    "repository: proserveau/stuck, image: "
                            + Infra.REPO
                            + ", container: stuck-app, port: 3002, startGrace: 60s");
            apps.put(
                    QUICK,
                    "repository: proserveau/quick, image: "
                            + QUICK_REPO
                            + ", container: quick-app, port: 3001, env: {PORT: \"3001\"}");
            config.put(
                    "canary.fleet.path",
                    Infra.writeFleet(
                                    """
                                    canary: [docker0]
                                    steps: ["100%"]
                                    maxUnavailable: 1
                                    deadlines: {health: 12s}
                                    """,
                                    apps)
                            .toString());
            return config;
        }
    }

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
        for (DockerEngine e : List.of(Infra.docker0, Infra.docker1)) {
            String ids =
                    e.docker(
                                    "ps",
                                    "-aq",
                                    "--filter",
                                    "name=stuck-app",
                                    "--filter",
                                    "name=quick-app")
                            .orThrow()
                            .stdout()
                            .strip();
            List<String> all = Arrays.stream(ids.split("\\s+")).filter(s -> !s.isEmpty()).toList();
            if (!all.isEmpty()) {
                String[] args = new String[all.size() + 2];
                args[0] = "rm";
                args[1] = "-f";
                for (int i = 0; i < all.size(); i++) args[i + 2] = all.get(i);
                e.docker(args).orThrow();
            }
        }
    }

    @Test
    void theCanaryOfOneAppDoesNotWaitForAnotherAppsSwapOnTheSameHost() {
        String stuck = "rel-" + UUID.randomUUID();
        String quick = "rel-" + UUID.randomUUID();
        played.registry.send(
                new ImagePushed(stuck, STUCK, Infra.REPO, Infra.v2.substring(7, 19), Infra.v2));
        played.registry.send(
                new ImagePushed(quick, QUICK, QUICK_REPO, quickV2.substring(7, 19), quickV2));
        EventEnvelope<HostUpdateRequested> stuckReq =
                played.requested(stuck, "docker0", Stage.CANARY);
        EventEnvelope<HostUpdateRequested> quickReq =
                played.requested(quick, "docker0", Stage.CANARY);

        // stuck is drained first: with one swap at a time per host, quick would wait for it
        long start = System.nanoTime();
        played.lb.send(
                stuckReq,
                new dev.canaryrelease.events.model.HostDrained(
                        stuck, STUCK, "docker0", Stage.CANARY, 0, 1, false));
        played.cycle(quickReq);
        long quickMs = (System.nanoTime() - start) / 1_000_000;
        played.capture.await(quick, EventType.CANARY_LIVE, WAIT);
        // what a user of app quick sees on the canary: the new version, on its own port
        Awaitility.await("docker0:3001 serves quick v2")
                .atMost(Duration.ofSeconds(20))
                .until(
                        () -> page(Infra.docker0, 3001),
                        p -> p.startsWith("200") && p.contains("v2"));
        assertTrue(
                played.capture.events(stuck).stream()
                        .noneMatch(
                                e ->
                                        e.type() == EventType.HOST_UPDATED
                                                || e.type() == EventType.HOST_UPDATE_FAILED),
                "app stuck's swap is still in its health check when quick is live (quick took "
                        + quickMs
                        + " ms)");

        // stuck fails at its health deadline, and its fresh container is removed again
        EventEnvelope<CanaryEvent> failed =
                played.capture.await(stuck, EventType.HOST_UPDATE_FAILED, WAIT);
        assertTrue(
                ((HostUpdateFailed) failed.data()).reason().contains("3002"),
                failed.data().toString());
        played.capture.await(stuck, EventType.RELEASE_FAILED, WAIT);
        assertEquals(
                "",
                Infra.docker0
                        .docker("ps", "--filter", "name=stuck-app", "--format", "{{.Names}}")
                        .orThrow()
                        .stdout()
                        .strip());
    }

    /** The page of the app published on {@code port} of an engine, or the error. */
    static String page(DockerEngine e, int port) {
        try {
            var r =
                    java.net.http.HttpClient.newHttpClient()
                            .send(
                                    java.net.http.HttpRequest.newBuilder(
                                                    java.net.URI.create(
                                                            "http://"
                                                                    + e.hostAddress()
                                                                    + ":"
                                                                    + port
                                                                    + "/"))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (java.io.IOException ex) {
            return "error " + ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
