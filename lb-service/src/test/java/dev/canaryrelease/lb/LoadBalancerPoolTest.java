package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.LoadBalancerException;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/** The Runtime API client against real HAProxy instances, over both transports. */
class LoadBalancerPoolTest {
    static TestBackend s1;
    static TestBackend s2;
    static HaproxyServer one;
    static HaproxyServer two;
    static final ServerKey S1 = new ServerKey("web", "s1");

    @BeforeAll
    static void start() {
        s1 = TestBackend.start("s1");
        s2 = TestBackend.start("s2");
        HaproxyServer.Spec spec =
                HaproxyServer.Spec.backend("web")
                        .server("s1", "127.0.0.1", s1.port())
                        .server("s2", "127.0.0.1", s2.port());
        one = HaproxyServer.start(spec);
        two = HaproxyServer.start(spec);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(
                        () ->
                                one.serverStatus().values().stream().allMatch("UP"::equals)
                                        && two.serverStatus().values().stream()
                                                .allMatch("UP"::equals));
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        s1.close();
        s2.close();
    }

    static HaproxyInstance instance(String name, String api) {
        return new HaproxyInstance(name, api, Duration.ofSeconds(2));
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void unixAndTcpSocketsSeeTheSameInstance() {
        HaproxyInstance unix = instance("one", one.unixRuntimeApi());
        HaproxyInstance tcp = instance("one", one.tcpRuntimeApi());
        assertEquals(one.pid(), unix.info().pid());
        assertEquals(one.pid(), tcp.info().pid());
        List<ServerView> servers = tcp.servers();
        assertEquals(2, servers.size());
        assertEquals(AdminState.READY, servers.get(0).admin());
    }

    @Test
    void anOperationIsAppliedToEveryInstance() {
        LoadBalancerPool pool =
                new LoadBalancerPool(
                        List.of(
                                instance("one", one.unixRuntimeApi()),
                                instance("two", two.tcpRuntimeApi())));
        pool.setState(S1, AdminState.MAINT);
        assertEquals("MAINT", one.serverStatus().get("s1"));
        assertEquals("MAINT", two.serverStatus().get("s1"));
        pool.setState(S1, AdminState.READY);
        assertEquals(
                List.of(AdminState.READY, AdminState.READY),
                pool.server(S1).stream().map(ServerView::admin).toList());
    }

    @Test
    void aPartialFailureIsUndoneAndReported() throws IOException {
        String dead = "ipv4@127.0.0.1:" + closedPort();
        LoadBalancerPool pool =
                new LoadBalancerPool(
                        List.of(
                                instance("one", one.unixRuntimeApi()),
                                instance("two", two.tcpRuntimeApi()),
                                instance("gone", dead)));
        LoadBalancerException e =
                assertThrows(
                        LoadBalancerException.class, () -> pool.setState(S1, AdminState.DRAIN));
        assertEquals(LoadBalancerException.Kind.UNREACHABLE, e.kind());
        assertTrue(
                e.getMessage().startsWith("load balancer 'gone' (" + dead + ") unreachable: "),
                e.getMessage());
        assertTrue(
                e.getMessage().endsWith("'drain' undone on two back to ready, one back to ready"),
                e.getMessage());
        assertTrue(one.serverStatus().get("s1").startsWith("UP"), one.serverStatus().toString());
        assertTrue(two.serverStatus().get("s1").startsWith("UP"), two.serverStatus().toString());
    }

    @Test
    void unknownServerIsRejectedWithItsName() {
        LoadBalancerPool pool =
                new LoadBalancerPool(List.of(instance("one", one.unixRuntimeApi())));
        LoadBalancerException e =
                assertThrows(
                        LoadBalancerException.class,
                        () -> pool.server(new ServerKey("web", "nope")));
        assertEquals(LoadBalancerException.Kind.REJECTED, e.kind());
        assertTrue(e.getMessage().startsWith("unknown server 'nope'"), e.getMessage());
        e =
                assertThrows(
                        LoadBalancerException.class,
                        () -> pool.server(new ServerKey("shop", "s1")));
        assertTrue(e.getMessage().startsWith("unknown backend 'shop'"), e.getMessage());
    }

    @Test
    void aMissingUnixSocketIsUnreachable() {
        HaproxyInstance gone = instance("gone", "unix:///tmp/no-such-haproxy.sock");
        LoadBalancerException e = assertThrows(LoadBalancerException.class, gone::info);
        assertEquals(LoadBalancerException.Kind.UNREACHABLE, e.kind());
        assertTrue(e.getMessage().contains("unix:///tmp/no-such-haproxy.sock"), e.getMessage());
    }

    @Test
    void runtimeApiOffLoopbackIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> instance("far", "ipv4@10.0.0.10:9999"));
    }
}
