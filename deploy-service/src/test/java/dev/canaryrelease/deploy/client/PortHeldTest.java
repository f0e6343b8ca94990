package dev.canaryrelease.deploy.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.deploy.Infra;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;

/**
 * Starting a container whose published host port is still held by someone else (as right after the
 * previous container stopped, before the engine let its port go), on a real engine with the port
 * really held by a listening socket: the start waits for the port, and says why when it never comes
 * free.
 */
class PortHeldTest {
    static final String NAME = "port-held-test";
    static final int PORT = 3999;

    static ContainerHost engine;

    @BeforeAll
    static void start() {
        Infra.start();
        Fleet fleet =
                FleetLoader.load(
                        Infra.writeFleet(
                                "example",
                                """
                                canary: [docker0]
                                steps: ["100%"]
                                maxUnavailable: 1
                                """));
        engine =
                new ContainerHosts(fleet, new UnreachableEngineTest.Config(1, Duration.ZERO))
                        .get("docker0");
    }

    @AfterEach
    void remove() {
        Infra.docker0.docker("rm", "-f", NAME);
    }

    static String create() {
        return Infra.docker0
                .docker(
                        "create",
                        "--pull",
                        "never",
                        "--init",
                        "--name",
                        NAME,
                        "-p",
                        Infra.docker0.hostAddress() + ":" + PORT + ":3000",
                        Infra.registry.address() + "/" + Infra.REPO + ":v1")
                .orThrow()
                .stdout()
                .strip();
    }

    static ServerSocket hold() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getByName(Infra.docker0.hostAddress()), PORT));
        return s;
    }

    static String state() {
        return Infra.docker0
                .docker("inspect", "--format", "{{.State.Status}} {{.State.Error}}", NAME)
                .orThrow()
                .stdout()
                .strip();
    }

    @Test
    void aStartWaitsUntilThePortIsFreeAndTheContainerRuns() throws Exception {
        String id = create();
        ServerSocket held = hold();
        CompletableFuture<Void> started =
                CompletableFuture.runAsync(
                        () -> SwapService.start(engine, id, Duration.ofSeconds(60)));
        // the engine has refused at least once: the port is in use
        Awaitility.await("the engine refused the start: port in use")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(PortHeldTest::state, s -> s.contains("address already in use"));
        held.close();

        started.get(60, TimeUnit.SECONDS);
        assertTrue(state().startsWith("running"), state());
    }

    @Test
    void aPortThatStaysHeldGivesTheEnginesReason() throws Exception {
        String id = create();
        try (ServerSocket held = hold()) {
            HostException e =
                    assertThrows(
                            HostException.class,
                            () -> SwapService.start(engine, id, Duration.ofSeconds(1)));
            assertTrue(
                    e.getMessage().contains("address already in use"),
                    "the engine's reason is kept: " + e.getMessage());
            assertTrue(e.getMessage().contains("docker0"), e.getMessage());
        }
        assertEquals("created", state().split(" ")[0], "the container was never started");
    }
}
