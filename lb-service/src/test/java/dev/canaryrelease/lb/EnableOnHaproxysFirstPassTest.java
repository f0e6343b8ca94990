package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.messaging.HostCycle;
import dev.canaryrelease.testsupport.LoadLoop;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * The host cycle's drain and enable ({@link HostCycle}) on two real HAProxy instances whose servers
 * need {@code rise 1000} passing checks 100 ms apart to come UP on their own (100 s): an enable
 * that takes traffic within seconds did not wait for HAProxy's {@code rise}. It waited for one
 * passing check of HAProxy's own, made after the enable resumed the checks the drain paused, beside
 * deploy-service's (which {@code host.updated} reports); a server whose checks fail is never put in
 * the pool.
 */
class EnableOnHaproxysFirstPassTest {
    static final ServerKey S1 = new ServerKey("web", "s1");
    static final String RISE = "1000";

    static TestBackend s1;
    static TestBackend s2;
    static HaproxyServer one;
    static HaproxyServer two;
    static HostCycle cycle;

    @BeforeAll
    static void start() {
        s1 = TestBackend.start("s1");
        s2 = TestBackend.start("s2");
        HaproxyServer.Spec spec =
                HaproxyServer.Spec.backend("web")
                        .checks("inter 100 rise " + RISE + " fall 2")
                        .slowstart("1s")
                        .server("s1", "127.0.0.1", s1.port())
                        .server("s2", "127.0.0.1", s2.port());
        one = HaproxyServer.start(spec);
        two = HaproxyServer.start(spec);
        Path fleet =
                TestFleet.builder()
                        .placeholders("tls/ca.pem", "tls/cert.pem", "tls/key.pem")
                        .registry("127.0.0.1:5000")
                        .dns("dns: {backend: hosts-file, hostsFile: /tmp/none}")
                        .host(
                                "s1",
                                "127.0.0.11",
                                null,
                                TestFleet.dockerApi(
                                        "tcp://127.0.0.11:2376",
                                        "tls/ca.pem",
                                        "tls/cert.pem",
                                        "tls/key.pem"))
                        .host(
                                "s2",
                                "127.0.0.12",
                                null,
                                TestFleet.dockerApi(
                                        "tcp://127.0.0.12:2376",
                                        "tls/ca.pem",
                                        "tls/cert.pem",
                                        "tls/key.pem"))
                        .loadBalancer("one", one.unixRuntimeApi(), null)
                        .loadBalancer("two", two.tcpRuntimeApi(), null)
                        .app(
                                "example",
                                "repository: proserveau/example-app, port: 3000, backend: web")
                        .rollout("canary: [s1]\nminReady: 1\ndeadlines: {drain: 2s, enable: 3s}")
                        .write();
        LoadBalancerPool pool =
                new LoadBalancerPool(
                        List.of(
                                new HaproxyInstance(
                                        "one", one.unixRuntimeApi(), Duration.ofSeconds(2)),
                                new HaproxyInstance(
                                        "two", two.tcpRuntimeApi(), Duration.ofSeconds(2))));
        cycle = new HostCycle(FleetLoader.load(fleet), pool, new WantedStates(), new Config());
        awaitStatus("UP");
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        s1.close();
        s2.close();
    }

    @AfterEach
    void s1BackInRotation() {
        s1.healthy(true);
        assertInstanceOf(HostEnabled.class, cycle.enable("r-end", "example", "s1", Stage.CANARY));
        awaitStatus("UP");
    }

    static void awaitStatus(String status) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .untilAsserted(
                        () -> {
                            for (HaproxyServer h : List.of(one, two)) {
                                assertEquals(status, h.serverStatus().get("s1"), h.tcpRuntimeApi());
                            }
                        });
    }

    static AdminState admin(HaproxyServer h) {
        return new HaproxyInstance("x", h.tcpRuntimeApi(), Duration.ofSeconds(2))
                .adminStates()
                .get(S1);
    }

    /**
     * Drained for its swap: admin drain on both instances, and no check reaches the back end (its
     * checks are paused: a check that reaches an engine's port while the new container's network is
     * not up yet stalls every connection to it for a second). Shown against s2, whose checks go on:
     * it gets six more of them meanwhile (three per instance).
     */
    static void assertDrainedWithoutChecks(Runnable swap) {
        for (HaproxyServer h : List.of(one, two)) {
            assertEquals(AdminState.DRAIN, admin(h), h.tcpRuntimeApi());
            assertTrue(
                    new HaproxyInstance("x", h.tcpRuntimeApi(), Duration.ofSeconds(2))
                            .checksPaused()
                            .contains(S1),
                    "checks of s1 not paused on " + h.tcpRuntimeApi());
            assertFalse(h.serverStatus().get("s1").startsWith("UP"), h.tcpRuntimeApi());
        }
        long checked = s1.checks();
        long others = s2.checks();
        swap.run();
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> s2.checks() >= others + 6);
        assertEquals(checked, s1.checks(), "HAProxy checked s1 while it was drained");
    }

    @Test
    void aHealthyServerTakesTrafficAfterOneOfHaproxysChecksNotRise() {
        CanaryEvent drained = cycle.drain("r1", "example", "s1", Stage.CANARY);
        assertInstanceOf(HostDrained.class, drained);
        // the swap: the back end goes away and comes back on the same port, unchecked
        assertDrainedWithoutChecks(
                () -> {
                    s1.stop();
                    s1.start();
                });
        long checked = s1.checks();

        long servedBefore = s1.served();
        CanaryEvent enabled = cycle.enable("r1", "example", "s1", Stage.CANARY);

        assertInstanceOf(HostEnabled.class, enabled, enabled.toString());
        for (HaproxyServer h : List.of(one, two)) {
            assertEquals("UP", h.serverStatus().get("s1"), h.tcpRuntimeApi());
            assertEquals(AdminState.READY, admin(h), h.tcpRuntimeApi());
        }
        // UP on a passing check of HAProxy's own, made after the enable resumed them
        assertTrue(s1.checks() > checked, "no check of HAProxy's since the enable");
        try (LoadLoop load = LoadLoop.start(one.frontendUrl() + "/", 2, Duration.ofMinutes(1))) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> s1.served() > servedBefore + 20);
            load.close();
            assertEquals(0, load.bad() + load.errors(), load.toString());
        }
    }

    @Test
    void aServerWhoseChecksFailIsNeverPutInThePoolAndGoesToMaint() {
        assertInstanceOf(HostDrained.class, cycle.drain("r2", "example", "s1", Stage.CANARY));
        // the new back end answers its health check 404 (and would serve / if it got traffic)
        assertDrainedWithoutChecks(() -> s1.healthy(false));
        long checked = s1.checks();
        long servedBefore = s1.served();
        try (LoadLoop load = LoadLoop.start(one.frontendUrl() + "/", 2, Duration.ofMinutes(1))) {
            CanaryEvent answer = cycle.enable("r2", "example", "s1", Stage.CANARY);

            HostEnableFailed failed = assertInstanceOf(HostEnableFailed.class, answer);
            assertTrue(
                    failed.reason().contains("did not pass HAProxy's health check"),
                    failed.reason());
            // the enable resumed HAProxy's checks, and they failed
            assertTrue(s1.checks() > checked, "no check of HAProxy's since the enable");
            assertTrue(failed.reason().contains("it was put back in maint"), failed.reason());
            load.close();
            assertEquals(0, load.bad() + load.errors(), load.toString());
            assertTrue(load.ok() > 20, load.toString());
        }
        for (HaproxyServer h : List.of(one, two)) {
            assertEquals(AdminState.MAINT, admin(h), h.tcpRuntimeApi());
        }
        // nothing but HAProxy's checks reached it: not one request of the load
        assertEquals(servedBefore, s1.served());
        assertFalse(one.serverStatus().get("s1").startsWith("UP"));
        // deploy-service puts the previous container back: the enable from maint needs a fresh
        // passing check of HAProxy's own (the one from before maint does not count), as @AfterEach
        // shows
    }

    /** lb-service's defaults. */
    static final class Config implements LbConfig {
        @Override
        public Duration commandTimeout() {
            return Duration.ofSeconds(2);
        }

        @Override
        public Duration drainPollInterval() {
            return Duration.ofMillis(10);
        }

        @Override
        public Duration enablePollInterval() {
            return Duration.ofMillis(20);
        }

        @Override
        public Duration watchInterval() {
            return Duration.ofMillis(250);
        }

        @Override
        public Duration reconcileInterval() {
            return Duration.ofSeconds(1);
        }

        @Override
        public Duration snapshotInterval() {
            return Duration.ofSeconds(5);
        }

        @Override
        public Duration replayStallTimeout() {
            return Duration.ofSeconds(60);
        }

        @Override
        public Duration requestHold() {
            return Duration.ofHours(1);
        }

        @Override
        public int analysisLogPort() {
            return 0; // no analysis in this test: any free port
        }
    }
}
