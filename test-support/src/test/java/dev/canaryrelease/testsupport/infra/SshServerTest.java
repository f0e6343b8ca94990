package dev.canaryrelease.testsupport.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** A real sshd fronting a real dockerd: {@code ssh ... docker ps} with the host key pinned. */
class SshServerTest {

    @Test
    void runsDockerPsOnTheEngineBehindIt() throws Exception {
        try (DockerEngine engine = DockerEngine.start("docker1");
                SshServer sshd = SshServer.start(engine)) {
            Path context = ExampleApp.writeContext(engine.dir().resolve("ctx"), "v1", false);
            engine.docker("build", "-q", "-t", "example-app:local", context.toString()).orThrow();
            engine.docker(
                            "run",
                            "-d",
                            "--pull",
                            "never",
                            "--init",
                            "--name",
                            "ssh-visible",
                            "example-app:local")
                    .orThrow();
            String pin = Files.readString(sshd.knownHosts());
            assertTrue(pin.startsWith("[127.0.0.1]:" + sshd.port() + " ssh-ed25519 "), pin);

            ExecResult ps = sshd.ssh("docker", "ps", "--format", "'{{.Names}} {{.Status}}'");

            assertEquals(0, ps.exitCode(), ps.stderr());
            assertTrue(ps.stdout().contains("ssh-visible Up"), ps.stdout());
        }
    }

    @Test
    void refusesAHostKeyThatIsNotThePinnedOne() throws Exception {
        try (SshServer a = SshServer.start();
                SshServer b = SshServer.start()) {
            String aPin = Files.readString(a.knownHosts());
            // pin b's host key for a's address: the client must refuse a
            Files.writeString(
                    a.knownHosts(),
                    Files.readString(b.knownHosts())
                            .replace("[127.0.0.1]:" + b.port(), "[127.0.0.1]:" + a.port()));
            ExecResult refused = a.ssh("true");
            assertNotEquals(0, refused.exitCode());
            assertTrue(refused.stderr().toLowerCase().contains("host key"), refused.stderr());

            Files.writeString(a.knownHosts(), aPin);
            ExecResult accepted = a.ssh("echo", "hello");
            assertEquals(0, accepted.exitCode(), accepted.stderr());
            assertEquals("hello\n", accepted.stdout());
        }
    }
}
