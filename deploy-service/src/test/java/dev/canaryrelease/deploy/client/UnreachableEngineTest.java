package dev.canaryrelease.deploy.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import dev.canaryrelease.deploy.EngineRelay;
import dev.canaryrelease.deploy.Infra;
import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.SwapResult;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;

/**
 * A swap while the connection to the engine fails (a real TLS engine behind a real TCP relay that
 * cuts every connection until told otherwise): the swap tries again, picks up what the failed
 * attempt left and ends with the new container; an engine that stays out of reach gives a failure
 * that says so, with the host still on its old container.
 */
class UnreachableEngineTest {
    static final String APP = "example";

    static EngineRelay relay;
    static Path fleetFile;

    @BeforeAll
    static void start() throws IOException {
        Infra.start();
        Infra.resetToV1();
        relay = new EngineRelay(Infra.docker0.hostAddress(), Infra.docker0.port());
        String rollout =
                """
                canary: [docker0]
                steps: ["100%"]
                maxUnavailable: 1
                deadlines: {health: 10s}
                """;
        Path fleet = Infra.writeFleet(APP, rollout);
        String yaml =
                Files.readString(fleet)
                        .replace(
                                Infra.docker0.tcpEndpoint(),
                                "tcp://" + Infra.docker0.hostAddress() + ":" + relay.port());
        fleetFile = fleet.resolveSibling("fleet-relay.yaml");
        Files.writeString(fleetFile, yaml);
    }

    @AfterAll
    static void stop() {
        if (relay != null) relay.close();
        Infra.resetToV1();
    }

    record Config(int swapAttempts, Duration retryPause, Duration engineWait)
            implements DeployConfig {
        Config(int swapAttempts, Duration retryPause) {
            this(swapAttempts, retryPause, Duration.ZERO);
        }

        @Override
        public Duration definiteFailureAfter() {
            return Duration.ofSeconds(1);
        }

        @Override
        public List<String> replayTopics() {
            return List.of();
        }

        @Override
        public Duration lbAnswerMargin() {
            return Duration.ofMinutes(10);
        }

        @Override
        public Duration snapshotInterval() {
            return Duration.ofSeconds(5);
        }

        @Override
        public Duration replayTimeout() {
            return Duration.ofSeconds(60);
        }

        @Override
        public int retained() {
            return 3;
        }

        @Override
        public int swapsPerHost() {
            return 4;
        }

        @Override
        public Duration stopTimeout() {
            return Duration.ofSeconds(2);
        }

        @Override
        public Duration connectTimeout() {
            return Duration.ofSeconds(2);
        }

        @Override
        public Duration callTimeout() {
            return Duration.ofSeconds(30);
        }

        @Override
        public int logLines() {
            return 20;
        }

        @Override
        public boolean recoverAtStart() {
            return false;
        }

        @Override
        public Duration revokeGrace() {
            return Duration.ZERO;
        }
    }

    static SwapService swaps(Config config, SimpleMeterRegistry metrics) {
        return swaps(fleetFile, config, metrics);
    }

    static SwapService swaps(Path fleetFile, Config config, SimpleMeterRegistry metrics) {
        Fleet fleet = FleetLoader.load(fleetFile);
        return new SwapService(fleet, new ContainerHosts(fleet, config), config, metrics);
    }

    static double retries(SimpleMeterRegistry metrics) {
        return retries(metrics, "docker0");
    }

    static double retries(SimpleMeterRegistry metrics, String host) {
        var c = metrics.find("deploy.swap.retries").tag("host", host).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aSwapTriesAgainUntilTheEngineAnswersAndEndsOnTheNewImage() throws Exception {
        Infra.resetToV1();
        relay.cut.set(true);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        SwapService swaps = swaps(new Config(30, Duration.ofMillis(100)), metrics);

        CompletableFuture<SwapResult> swap =
                CompletableFuture.supplyAsync(() -> swaps.swap("docker0", APP, Infra.v2));
        // two attempts have met a cut connection before the engine comes back
        Awaitility.await("two attempts failed on the cut connection")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> retries(metrics) >= 2);
        assertTrue(relay.refused.get() >= 2, "the relay cut " + relay.refused + " connections");
        relay.cut.set(false);

        SwapResult r = swap.get(120, TimeUnit.SECONDS);
        assertTrue(r.ok(), "the swap ends well once the engine answers: " + r);
        assertEquals(Infra.v2, r.digest());
        assertTrue(Infra.page(Infra.docker0).contains("v2"), Infra.page(Infra.docker0));
        assertEquals(
                List.of("example-app"),
                Infra.containers(Infra.docker0, false),
                "exactly one app container runs");
    }

    @Test
    void anEngineThatStaysOutOfReachGivesAFailureThatSaysSoAndChangesNothing() {
        Infra.resetToV1();
        relay.cut.set(true);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        SwapService swaps = swaps(new Config(3, Duration.ofMillis(50)), metrics);

        SwapResult r = swaps.swap("docker0", APP, Infra.v2);

        assertFalse(r.ok(), r.toString());
        assertTrue(
                r.reason().contains("engine not reached in 3 attempts"),
                "the reason says the engine was not reached: " + r.reason());
        assertTrue(r.reason().contains("docker0"), "the reason names the host: " + r.reason());
        assertEquals(2.0, retries(metrics), "two attempts were repeated");
        assertTrue(Infra.page(Infra.docker0).contains("v1"), Infra.page(Infra.docker0));
        relay.cut.set(false);
    }

    @Test
    void aHostKeyThatIsNotTheKnownOneFailsAtOnceWithoutAnotherAttempt() throws IOException {
        Path wrong = Infra.knownHostsWithAnotherKey();
        Path fleet = fleetFile.resolveSibling("fleet-wrong-host-key.yaml");
        Files.writeString(
                fleet,
                Files.readString(fleetFile)
                        .replace(Infra.ssh1.knownHosts().toString(), wrong.toString()));
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        SwapService swaps = swaps(fleet, new Config(3, Duration.ofSeconds(5)), metrics);

        SwapResult r = swaps.swap("docker1", APP, Infra.v2);

        assertFalse(r.ok(), r.toString());
        assertTrue(
                r.reason().contains("host key not accepted by known_hosts"),
                "the reason names the refused host key: " + r.reason());
        assertEquals(0.0, retries(metrics, "docker1"), "a refused host key is not tried again");
        assertTrue(Infra.page(Infra.docker1).contains("v1"), Infra.page(Infra.docker1));
    }
}
