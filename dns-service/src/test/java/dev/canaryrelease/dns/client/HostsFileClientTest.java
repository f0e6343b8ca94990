package dev.canaryrelease.dns.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.dns.domain.Change;
import dev.canaryrelease.dns.domain.DnsException;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.RecordSet;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.SshServer;

/** The hosts-file backend against a real sshd, on a hosts file in a temporary directory. */
class HostsFileClientTest {
    static SshServer sshd;

    @TempDir Path dir;

    // odd bytes on purpose: a CRLF line, Latin-1, tabs, a comment, no final newline
    static final byte[] BEFORE =
            "127.0.0.1\tlocalhost\r\n# keep me  \n10.1.2.3 caf\u00e9.example\t x\n"
                    .getBytes(StandardCharsets.ISO_8859_1);
    static final byte[] AFTER =
            "\n::1 ip6-localhost ip6-loopback\n# tail without newline"
                    .getBytes(StandardCharsets.ISO_8859_1);

    @BeforeAll
    static void start() {
        sshd = SshServer.start();
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    HostsFileClient client(Path file, Path knownHosts) {
        return new HostsFileClient(
                "docker1",
                new Fleet.Ssh(sshd.host(), sshd.port(), sshd.user(), sshd.privateKey(), knownHosts),
                file.toString(),
                "proserveau.local",
                Duration.ofSeconds(5));
    }

    static List<RecordSet> records(String... nameAddress) {
        return Arrays.stream(nameAddress)
                .map(s -> s.split("="))
                .map(p -> new RecordSet(p[0], RecordSet.A, List.of(p[1]), 0))
                .toList();
    }

    static List<DnsTarget.Outcome> apply(HostsFileClient c, List<RecordSet> all) throws Exception {
        List<Change> changes =
                List.of(new Change("x", all.isEmpty() ? null : all.get(0), List.of()));
        return c.apply(changes, all);
    }

    @Test
    void theBlockIsWrittenRewrittenAndRemovedAndTheLinesAroundItStayByteForByte() throws Exception {
        Path hosts = dir.resolve("hosts");
        String block0 =
                HostsBlock.BEGIN
                        + "\n# old content\n10.9.9.9\told.proserveau.local old\n"
                        + HostsBlock.END
                        + "\n";
        byte[] initial = concat(BEFORE, block0.getBytes(StandardCharsets.ISO_8859_1), AFTER);
        Files.write(hosts, initial);
        HostsFileClient c = client(hosts, sshd.knownHosts());

        Map<String, List<RecordSet>> seen = c.read(Set.of());
        assertEquals(List.of("10.9.9.9"), seen.get("old").get(0).values());

        // written (replacing the old block in place)
        List<DnsTarget.Outcome> out =
                apply(c, records("cfgmgr=127.0.0.10", "docker0=127.0.0.11", "swarm=127.0.0.12"));
        assertTrue(out.get(0).ok(), out.get(0).reason());
        byte[] now = Files.readAllBytes(hosts);
        String block = between(now);
        assertTrue(block.contains("127.0.0.11\tdocker0.proserveau.local docker0\n"), block);
        assertFalse(block.contains("old"), block);
        assertSurroundingsUnchanged(now);
        assertEquals(Set.of("cfgmgr", "docker0", "swarm"), c.read(Set.of()).keySet());

        // rewritten
        out = apply(c, records("cfgmgr=127.0.0.10", "canary.example=127.0.0.11"));
        assertTrue(out.get(0).ok(), out.get(0).reason());
        now = Files.readAllBytes(hosts);
        assertTrue(between(now).contains("canary.example.proserveau.local canary.example"));
        assertFalse(between(now).contains("docker0"));
        assertSurroundingsUnchanged(now);

        // removed: exactly the lines around it are left
        out = apply(c, List.of());
        assertTrue(out.get(0).ok(), out.get(0).reason());
        assertArrayEquals(concat(BEFORE, AFTER), Files.readAllBytes(hosts));
        assertEquals(Map.of(), c.read(Set.of()));
    }

    @Test
    void aBlockIsAppendedToAFileWithoutOneAndTheFileIsReplacedNotEditedInPlace() throws Exception {
        Path hosts = dir.resolve("hosts");
        byte[] original = "127.0.0.1 localhost\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(hosts, original);
        Object inodeBefore = Files.getAttribute(hosts, "unix:ino");
        HostsFileClient c = client(hosts, sshd.knownHosts());

        assertTrue(apply(c, records("docker0=127.0.0.11")).get(0).ok());
        String text = Files.readString(hosts, StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("127.0.0.1 localhost\n" + HostsBlock.BEGIN + "\n"), text);
        assertTrue(text.endsWith(HostsBlock.END + "\n"), text);
        // renamed over the old file (atomic), not written in place
        assertFalse(inodeBefore.equals(Files.getAttribute(hosts, "unix:ino")));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(hosts), files.toList(), "no temporary file left behind");
        }

        assertTrue(apply(c, List.of()).get(0).ok());
        assertArrayEquals(original, Files.readAllBytes(hosts));
    }

    @Test
    void anUnknownHostKeyIsRefusedAndNothingIsWritten() throws Exception {
        Path hosts = dir.resolve("hosts");
        Files.write(hosts, BEFORE);
        Path otherKnownHosts = dir.resolve("known_hosts");
        Files.writeString(
                otherKnownHosts,
                "[127.0.0.1]:"
                        + sshd.port()
                        + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnqGvIGiIb0o6dBYYpwx1Ej1u3uc4E8S9N0vPn8ZWhS\n");
        HostsFileClient c = client(hosts, otherKnownHosts);
        List<DnsTarget.Outcome> out = apply(c, records("docker0=127.0.0.11"));
        assertFalse(out.get(0).ok());
        assertTrue(out.get(0).reason().contains("host key"), out.get(0).reason());
        assertArrayEquals(BEFORE, Files.readAllBytes(hosts));
        try {
            c.read(Set.of());
            throw new AssertionError("read must fail");
        } catch (DnsException e) {
            assertTrue(e.getMessage().contains("host key"), e.getMessage());
        }
    }

    @Test
    void aHalfBlockIsNotTouched() throws Exception {
        Path hosts = dir.resolve("hosts");
        byte[] broken =
                ("127.0.0.1 localhost\n" + HostsBlock.BEGIN + "\n1.2.3.4 x\n")
                        .getBytes(StandardCharsets.ISO_8859_1);
        Files.write(hosts, broken);
        List<DnsTarget.Outcome> out =
                apply(client(hosts, sshd.knownHosts()), records("docker0=127.0.0.11"));
        assertFalse(out.get(0).ok());
        assertTrue(out.get(0).reason().contains("without"), out.get(0).reason());
        assertArrayEquals(broken, Files.readAllBytes(hosts));
    }

    private static void assertSurroundingsUnchanged(byte[] now) {
        assertArrayEquals(BEFORE, Arrays.copyOfRange(now, 0, BEFORE.length));
        assertArrayEquals(AFTER, Arrays.copyOfRange(now, now.length - AFTER.length, now.length));
    }

    private static String between(byte[] now) {
        return new String(
                Arrays.copyOfRange(now, BEFORE.length, now.length - AFTER.length),
                StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int i = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }
}
