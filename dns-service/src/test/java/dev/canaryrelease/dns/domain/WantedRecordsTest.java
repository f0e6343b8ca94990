package dev.canaryrelease.dns.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.TestFleet;

/** What the zone should hold, from the fleet and the live canaries (no server). */
class WantedRecordsTest {
    @TempDir Path dir;

    Fleet fleet(String frontend, boolean withDocker1) throws Exception {
        String tls = "tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}";
        return FleetLoader.load(
                TestFleet.builder()
                        .file("tls/ca.pem", "x\n")
                        .file("tls/cert.pem", "x\n")
                        .file("tls/key.pem", "x\n")
                        .file("tsig.key", "x\n")
                        .registry("127.0.0.1:5000")
                        .dns(
                                "dns: {server: \"127.0.0.1:53\", tsig: {name: k, secretFile:"
                                        + " tsig.key}, ttl: 20}")
                        .host("cfgmgr", "127.0.0.10")
                        .host(
                                "docker0",
                                "127.0.0.11",
                                "canary",
                                "{endpoint: \"tcp://a:1\", " + tls + "}")
                        .host(
                                withDocker1 ? "docker1" : "dockerx",
                                "127.0.0.12",
                                null,
                                "{endpoint: \"tcp://b:1\", " + tls + "}")
                        .host(
                                "docker2",
                                "127.0.0.13",
                                null,
                                "{endpoint: \"tcp://c:1\", " + tls + "}")
                        .loadBalancer("lb", "unix:///x.sock", frontend)
                        .app("example", "repository: o/example")
                        .rollout("canary: [docker0]")
                        .writeIn(dir));
    }

    @Test
    void hostsSwarmAndTheAppNameWithTheFleetTtl() throws Exception {
        Map<String, RecordSet> w =
                WantedRecords.compute(fleet("http://127.0.0.10:80", true), List.of());
        assertEquals(new RecordSet("docker0", "A", List.of("127.0.0.11"), 20), w.get("docker0"));
        assertEquals(
                new RecordSet("swarm", "CNAME", List.of("docker1.proserveau.local."), 20),
                w.get("swarm"));
        assertEquals(new RecordSet("example", "A", List.of("127.0.0.10"), 20), w.get("example"));
        assertNull(w.get("canary.example"));
        assertEquals(
                Set.of(
                        "cfgmgr",
                        "docker0",
                        "docker1",
                        "docker2",
                        "swarm",
                        "example",
                        "canary.example"),
                WantedRecords.ownedNames(fleet("http://127.0.0.10:80", true)));
    }

    @Test
    void withoutDocker1SwarmPointsAtTheFirstProductionHost() throws Exception {
        Map<String, RecordSet> w =
                WantedRecords.compute(fleet("http://127.0.0.10", false), List.of());
        assertEquals(List.of("dockerx.proserveau.local."), w.get("swarm").values());
    }

    @Test
    void aFrontEndNamedByAHostNameIsACname() throws Exception {
        Map<String, RecordSet> w =
                WantedRecords.compute(fleet("http://cfgmgr:80", true), List.of());
        assertEquals(
                new RecordSet("example", "CNAME", List.of("cfgmgr.proserveau.local."), 20),
                w.get("example"));
        w = WantedRecords.compute(fleet("http://lb.elsewhere.net", true), List.of());
        assertEquals(List.of("lb.elsewhere.net."), w.get("example").values());
    }

    @Test
    void aLiveCanaryPointsAtItsHosts() throws Exception {
        Fleet f = fleet("http://127.0.0.10", true);
        Map<String, RecordSet> w =
                WantedRecords.compute(
                        f, List.of(new LiveCanary("example", "r1", List.of("docker0", "docker2"))));
        assertEquals(
                new RecordSet("canary.example", "A", List.of("127.0.0.11", "127.0.0.13"), 20),
                w.get("canary.example"));
        // an unknown app is ignored
        w = WantedRecords.compute(f, List.of(new LiveCanary("nope", "r1", List.of("docker0"))));
        assertFalse(w.containsKey("canary.nope"));
    }

    @Test
    void diffFixesMissingDifferentAndStaleNamesOnly() {
        RecordSet a = new RecordSet("docker0", "A", List.of("127.0.0.11"), 20);
        RecordSet s = new RecordSet("swarm", "CNAME", List.of("docker1.proserveau.local."), 20);
        Map<String, RecordSet> wanted = Map.of("docker0", a, "swarm", s);
        Map<String, List<RecordSet>> observed =
                Map.of(
                        "docker0", List.of(a),
                        "swarm", List.of(new RecordSet("swarm", "A", List.of("1.2.3.4"), 20)),
                        "canary.example",
                                List.of(
                                        new RecordSet(
                                                "canary.example", "A", List.of("1.1.1.1"), 20)));
        List<Change> changes =
                Diff.changes(Set.of("docker0", "swarm", "canary.example"), wanted, observed, true);
        assertEquals(2, changes.size());
        Change swarm = changes.stream().filter(c -> c.name().equals("swarm")).findFirst().get();
        assertEquals(s, swarm.wanted());
        Change stale =
                changes.stream().filter(c -> c.name().equals("canary.example")).findFirst().get();
        assertTrue(stale.removal());
        assertEquals("", stale.value());
        // a TTL difference counts only where TTLs are kept
        Map<String, List<RecordSet>> ttl =
                Map.of(
                        "docker0",
                        List.of(new RecordSet("docker0", "A", List.of("127.0.0.11"), 300)));
        assertEquals(1, Diff.changes(Set.of("docker0"), Map.of("docker0", a), ttl, true).size());
        assertEquals(0, Diff.changes(Set.of("docker0"), Map.of("docker0", a), ttl, false).size());
    }
}
