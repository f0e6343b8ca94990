package dev.canaryrelease.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.deploy.domain.Ownership;
import dev.canaryrelease.deploy.messaging.DeployEngine;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.infra.DockerEngine;

/**
 * An instance that lost an app's partition mid-swap does not carry the swap on (issue 19, point 3:
 * the fence). The service, alone in its group, swaps app {@code fenced-*}'s canary; its new
 * container never answers its health check (it listens on 3000, its port is 3002: silence inside
 * its start grace), so the swap waits the whole 15 s health deadline. While it waits, a second
 * member joins the group and is given the app's partition: the revocation waits 2 s for the swap
 * ({@code revoke-grace}), then fences it. The service then takes no further step on the host and
 * publishes no outcome. When the other member leaves, the service takes the app over and makes the
 * swap again from the host's state: one outcome of the canary's swap, once.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(FencingTest.Resource.class)
class FencingTest {
    static final Duration WAIT = PlayedServices.SWAP;

    /** The fleet's {@code deadlines.health}. */
    static final Duration HEALTH = Duration.ofSeconds(15);

    static final String CONTAINER = "fenced-app";

    /** An app on partition 0: the range assignor gives it to the other member (sorted first). */
    static final String APP = onPartitionZero();

    static String onPartitionZero() {
        for (int i = 0; ; i++) {
            if (Ownership.partitionOf("fenced-" + i, KafkaTestResource.PARTITIONS) == 0) {
                return "fenced-" + i;
            }
        }
    }

    /** The app that never answers its health check; a 2 s revoke grace. */
    public static class Resource extends DeployInfraResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new java.util.HashMap<>(super.start());
            Map<String, String> apps = new LinkedHashMap<>();
            apps.put(
                    FencingTest.APP, // not DeployInfraResource.APP
                    "repository: proserveau/fenced, image: "
                            + Infra.REPO
                            + ", container: "
                            + CONTAINER
                            + ", port: 3002, startGrace: 60s");
            config.put(
                    "canary.fleet.path",
                    Infra.writeFleet(
                                    """
                                    canary: [docker0]
                                    steps: ["100%"]
                                    maxUnavailable: 1
                                    deadlines: {health: 15s}
                                    """,
                                    apps)
                            .toString());
            config.put("canary.deploy.revoke-grace", "2s");
            return config;
        }
    }

    static PlayedServices played;

    @Inject DeployEngine engine;

    @BeforeAll
    static void start() {
        played = PlayedServices.open();
    }

    @AfterAll
    static void stop() {
        played.close();
        for (DockerEngine e : List.of(Infra.docker0, Infra.docker1)) {
            List<String> all = ids(e);
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
    void anInstanceThatLostTheAppMidSwapTakesNoFurtherStepAndPublishesNoOutcome() throws Exception {
        Awaitility.await("the service alone runs " + APP)
                .atMost(WAIT)
                .until(() -> engine.owns(APP));
        String release = "rel-" + UUID.randomUUID();
        played.registry.send(
                new ImagePushed(release, APP, Infra.REPO, Infra.v2.substring(7, 19), Infra.v2));
        EventEnvelope<HostUpdateRequested> req = played.requested(release, "docker0", Stage.CANARY);
        played.lb.send(req, new HostDrained(release, APP, "docker0", Stage.CANARY, 0, 1, false));
        // the new container runs: the swap waits in its health check
        Awaitility.await("the canary's new container runs on docker0")
                .atMost(WAIT)
                .until(() -> !running(Infra.docker0).isEmpty());
        String container = running(Infra.docker0);

        try (PartitionOwnershipTest.OtherInstance other =
                new PartitionOwnershipTest.OtherInstance()) {
            Awaitility.await("the other member is given partition 0, the service lets it go")
                    .atMost(WAIT)
                    .until(() -> other.partitions().contains(0) && !engine.owns(APP));
            assertFalse(engine.owned().contains(APP));
            // past the health deadline, the revocation's grace long over: nothing published
            Awaitility.await("the fenced swap publishes no outcome")
                    .during(HEALTH.plusSeconds(5))
                    .atMost(HEALTH.plusSeconds(10))
                    .until(() -> outcomes(release) == 0);
            assertEquals(
                    container,
                    running(Infra.docker0),
                    "the fenced instance took no step on the host (no restore, no removal)");
            assertTrue(other.partitions().contains(0), "the group did not move meanwhile");
        }
        // the other left: the service takes the app over and makes the swap again, once
        Awaitility.await("the service runs " + APP + " again")
                .atMost(WAIT)
                .until(() -> engine.owns(APP));
        // the container never gets healthy: host.update-failed (then the release's rollback)
        Awaitility.await("one outcome of the canary's swap")
                .atMost(WAIT.plus(HEALTH))
                .until(() -> outcomes(release) >= 1);
        Awaitility.await("and only one")
                .during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> outcomes(release) == 1);
    }

    /**
     * deploy-service's outcomes of the canary's swap of {@code release} (host.updated or
     * host.update-failed at stage CANARY; a failed canary's rollback has outcomes of its own).
     */
    static long outcomes(String release) {
        return played.capture.records().stream()
                .filter(r -> r.event().isPresent())
                .map(r -> r.event().get())
                .filter(e -> e.releaseId().equals(release))
                .map(EventEnvelope::data)
                .filter(
                        d ->
                                d instanceof HostUpdated u && u.stage() == Stage.CANARY
                                        || d instanceof HostUpdateFailed f
                                                && f.stage() == Stage.CANARY)
                .count();
    }

    /** The id of the app's running container on {@code e} ("" when none runs). */
    static String running(DockerEngine e) {
        return e.docker(
                        "ps",
                        "-q",
                        "--no-trunc",
                        "--filter",
                        "name=^/?" + CONTAINER + "$",
                        "--filter",
                        "status=running")
                .orThrow()
                .stdout()
                .strip();
    }

    static List<String> ids(DockerEngine e) {
        String out = e.docker("ps", "-aq", "--filter", "name=" + CONTAINER).orThrow().stdout();
        return Arrays.stream(out.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    }
}
