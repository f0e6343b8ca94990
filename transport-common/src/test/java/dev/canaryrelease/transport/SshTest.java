package dev.canaryrelease.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.Binaries;
import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.NamedServer;
import dev.canaryrelease.testsupport.infra.SshServer;

import net.schmizz.sshj.SSHClient;

/** The SSH helper against a real sshd (test-support's {@link SshServer}). */
class SshTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static SshServer sshd;
    @TempDir static Path dir;

    @BeforeAll
    static void start() {
        sshd = SshServer.start();
    }

    @AfterAll
    static void stop() {
        sshd.close();
    }

    static Fleet.Ssh target(Path knownHosts) {
        return new Fleet.Ssh(sshd.host(), sshd.port(), sshd.user(), sshd.privateKey(), knownHosts);
    }

    @Test
    void aCommandGetsItsInputAndGivesBackOutputErrorsAndExitStatus() throws IOException {
        try (SSHClient c = Ssh.connect(target(sshd.knownHosts()), TIMEOUT, TIMEOUT, TIMEOUT)) {
            Ssh.Result r =
                    Ssh.exec(
                            c,
                            "sh -c 'tr a-z A-Z; echo oops >&2; exit 3'",
                            "hosts\n".getBytes(StandardCharsets.ISO_8859_1),
                            TIMEOUT);
            assertEquals(new Ssh.Result(3, "HOSTS\n", "oops\n"), r);
            assertEquals(0, Ssh.exec(c, "true", null, TIMEOUT).exit(), "a second session");
        }
    }

    @Test
    void aHostKeyNotInKnownHostsIsRefusedInTheHelpersWords() throws IOException {
        Path other = Files.createTempFile(dir, "known_hosts", "");
        Files.writeString(
                other,
                "["
                        + sshd.host()
                        + "]:"
                        + sshd.port()
                        + " ssh-ed25519"
                        + " AAAAC3NzaC1lZDI1NTE5AAAAIE9rc2Fub3RoZXJrZXlub3RoZWhvc3RzMTIzNDU2\n");
        Fleet.Ssh t = target(other);
        IOException e =
                assertThrows(IOException.class, () -> Ssh.connect(t, TIMEOUT, TIMEOUT, null));
        assertEquals(Ssh.Failure.HOST_KEY_REFUSED, Ssh.failure(e));
        assertTrue(Ssh.refused(e));
        String m = Ssh.connectFailure(t, e).getMessage();
        assertTrue(
                m.startsWith(
                        "ssh "
                                + sshd.user()
                                + "@"
                                + sshd.host()
                                + ":"
                                + sshd.port()
                                + ": host key not accepted by known_hosts "
                                + other),
                m);
    }

    @Test
    void aKeyTheServerDoesNotKnowIsALoginRefused() throws Exception {
        Path key = dir.resolve("stranger_ed25519");
        Process p =
                new ProcessBuilder(
                                Binaries.require("ssh-keygen", "openssh-client").toString(),
                                "-q",
                                "-t",
                                "ed25519",
                                "-N",
                                "",
                                "-f",
                                key.toString())
                        .redirectErrorStream(true)
                        .start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        Fleet.Ssh t = new Fleet.Ssh(sshd.host(), sshd.port(), sshd.user(), key, sshd.knownHosts());
        IOException e =
                assertThrows(IOException.class, () -> Ssh.connect(t, TIMEOUT, TIMEOUT, null));
        assertEquals(Ssh.Failure.LOGIN_REFUSED, Ssh.failure(e));
        assertTrue(
                Ssh.connectFailure(t, e)
                        .getMessage()
                        .contains("authentication as " + sshd.user() + " with key " + key),
                e.toString());
    }

    @Test
    void noSshdIsUnreachableAndMayBeTriedAgain() {
        Fleet.Ssh t =
                new Fleet.Ssh(
                        "127.0.0.1",
                        FreePorts.pick(),
                        sshd.user(),
                        sshd.privateKey(),
                        sshd.knownHosts());
        IOException e =
                assertThrows(IOException.class, () -> Ssh.connect(t, TIMEOUT, TIMEOUT, null));
        assertEquals(Ssh.Failure.UNREACHABLE, Ssh.failure(e));
        assertFalse(Ssh.refused(e));
        assertTrue(
                Ssh.connectFailure(t, e).getMessage().contains(": cannot connect to sshd: "),
                e.toString());
    }

    @Test
    void aHostReachedByNameIsCheckedUnderItsNameInKnownHosts() throws IOException {
        try (NamedServer named = NamedServer.start("test.local")) {
            HostResolver resolver = new HostResolver(named.address(), "test.local");
            // ns1.test.local is 127.0.0.1, where the sshd listens
            String key = Files.readString(sshd.knownHosts()).strip();
            key = key.substring(key.indexOf(' ') + 1);
            Path byName = Files.createTempFile(dir, "known_hosts", "");
            Files.writeString(byName, "[ns1.test.local]:" + sshd.port() + " " + key + "\n");
            Fleet.Ssh t =
                    new Fleet.Ssh(
                            "ns1.test.local", sshd.port(), sshd.user(), sshd.privateKey(), byName);
            try (SSHClient c = Ssh.connect(t, resolver, TIMEOUT, TIMEOUT, TIMEOUT)) {
                assertEquals(0, Ssh.exec(c, "true", null, TIMEOUT).exit());
            }

            // the key known only under the address: the name is what is looked up, so refused
            Fleet.Ssh byAddress =
                    new Fleet.Ssh(
                            "ns1.test.local",
                            sshd.port(),
                            sshd.user(),
                            sshd.privateKey(),
                            sshd.knownHosts());
            IOException e =
                    assertThrows(
                            IOException.class,
                            () -> Ssh.connect(byAddress, resolver, TIMEOUT, TIMEOUT, null));
            assertEquals(Ssh.Failure.HOST_KEY_REFUSED, Ssh.failure(e));
        }
    }
}
