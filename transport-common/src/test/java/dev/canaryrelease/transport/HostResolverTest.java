package dev.canaryrelease.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.testsupport.infra.NamedServer;

/**
 * The fleet's names through a real BIND (test-support's {@link NamedServer}, zone {@code
 * test.local}, whose {@code ns1} is 127.0.0.1), never through this machine's resolver, which does
 * not know the zone.
 */
class HostResolverTest {
    static NamedServer named;
    static HostResolver resolver;

    @BeforeAll
    static void start() {
        named = NamedServer.start("test.local");
        resolver = new HostResolver(named.address(), "test.local");
    }

    @AfterAll
    static void stop() {
        named.close();
    }

    @Test
    void aNameOfTheZoneIsAskedOfTheSuitesDnsAndKeepsItsName() throws Exception {
        assertThrows(
                UnknownHostException.class,
                () -> InetAddress.getByName("ns1.test.local"),
                "this machine's resolver does not know the zone");
        InetAddress a = resolver.resolve("ns1.test.local");
        assertEquals("127.0.0.1", a.getHostAddress());
        assertEquals("ns1.test.local", a.getHostName(), "the name, not a reverse lookup");
    }

    @Test
    void aNameWithoutARecordIsNamedWithTheServerAsked() {
        UnknownHostException e =
                assertThrows(
                        UnknownHostException.class, () -> resolver.resolve("docker9.test.local"));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "docker9.test.local: no address at DNS server " + named.address()),
                e.getMessage());
    }

    @Test
    void addressesAndNamesOutsideTheZoneAreNotAskedOfIt() throws Exception {
        assertFalse(resolver.bySuiteDns("127.0.0.1"));
        assertFalse(resolver.bySuiteDns("localhost"));
        assertTrue(resolver.bySuiteDns("docker0.TEST.local."));
        assertEquals("127.0.0.1", resolver.resolve("localhost").getHostAddress());
        assertFalse(HostResolver.SYSTEM.bySuiteDns("ns1.test.local"));
    }

    @Test
    void aTcpEndpointByNameBecomesOneByAddressThatRemembersTheName() throws Exception {
        HostResolver.Endpoint e = resolver.endpoint("tcp://ns1.test.local:2376");
        assertEquals(URI.create("tcp://127.0.0.1:2376"), e.uri());
        assertEquals("ns1.test.local", e.serverName());

        HostResolver.Endpoint byAddress = resolver.endpoint("tcp://127.0.0.11:2376");
        assertEquals(URI.create("tcp://127.0.0.11:2376"), byAddress.uri());
        assertNull(byAddress.serverName());
        assertNull(resolver.endpoint("unix:///var/run/docker.sock").serverName());
        HostResolver.Endpoint outside = resolver.endpoint("tcp://localhost:2376");
        assertEquals(URI.create("tcp://localhost:2376"), outside.uri(), "left to the transport");
        assertNull(outside.serverName());
    }
}
