package dev.canaryrelease.dns.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.dns.domain.Change;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.RecordSet;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.NamedServer;

/** The bind backend's UPDATE messages against a real named. */
class BindClientTest {
    static NamedServer named;

    @TempDir Path dir;

    @BeforeAll
    static void start() {
        named = NamedServer.start("proserveau.local");
    }

    @AfterAll
    static void stop() {
        named.close();
    }

    BindClient client(String keyName) {
        return new BindClient(
                "proserveau.local",
                named.address(),
                new Fleet.Tsig(keyName, named.tsigAlgorithm(), named.tsigSecretFile()),
                Duration.ofSeconds(3));
    }

    static RecordSet a(String name, String... values) {
        return new RecordSet(name, RecordSet.A, List.of(values), 30);
    }

    DnsTarget.Outcome apply(BindClient c, Change change) {
        return c.apply(List.of(change), List.of()).get(0);
    }

    @Test
    void aChangeWhosePrerequisitesNoLongerHoldIsRefusedWhole() throws Exception {
        BindClient c = client(named.tsigKeyName());
        assertTrue(apply(c, new Change("web", a("web", "10.0.0.1", "10.0.0.2"), List.of())).ok());
        assertEquals(
                Map.of("web", List.of(a("web", "10.0.0.1", "10.0.0.2"))), c.read(Set.of("web")));

        // someone else's view: "web has nothing" — stale, so nothing of it is applied
        DnsTarget.Outcome stale = apply(c, new Change("web", a("web", "10.0.0.9"), List.of()));
        assertFalse(stale.ok());
        assertTrue(stale.stale());
        assertTrue(stale.reason().contains("prerequisite failed"), stale.reason());
        assertEquals(List.of(a("web", "10.0.0.1", "10.0.0.2")), c.read(Set.of("web")).get("web"));

        // with the right view, A → CNAME in one message
        RecordSet cname =
                new RecordSet("web", RecordSet.CNAME, List.of("cfgmgr.proserveau.local."), 30);
        DnsTarget.Outcome ok =
                apply(c, new Change("web", cname, List.of(a("web", "10.0.0.1", "10.0.0.2"))));
        assertTrue(ok.ok(), ok.reason());
        assertEquals(List.of(cname), c.read(Set.of("web")).get("web"));

        // removal
        assertTrue(apply(c, new Change("web", null, List.of(cname))).ok());
        assertEquals(Map.of(), c.read(Set.of("web")));
    }

    @Test
    void aKeyTheServerDoesNotKnowIsRefusedWithAClearReason() throws Exception {
        DnsTarget.Outcome o =
                apply(client("not-the-key"), new Change("x", a("x", "10.0.0.1"), List.of()));
        assertFalse(o.ok());
        assertTrue(o.reason().contains("NOTAUTH/BADKEY"), o.reason());
        assertEquals(Map.of(), client(named.tsigKeyName()).read(Set.of("x")));
    }

    @Test
    void aSecretFileFromTsigKeygenIsAccepted() throws Exception {
        Path f = dir.resolve("key.conf");
        Files.writeString(
                f,
                "key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n"
                        .formatted(named.tsigKeyName(), named.tsigAlgorithm(), named.tsigSecret()));
        BindClient c =
                new BindClient(
                        "proserveau.local",
                        named.address(),
                        new Fleet.Tsig(named.tsigKeyName(), named.tsigAlgorithm(), f),
                        Duration.ofSeconds(3));
        DnsTarget.Outcome o = apply(c, new Change("k", a("k", "10.0.0.7"), List.of()));
        assertTrue(o.ok(), o.reason());
    }
}
