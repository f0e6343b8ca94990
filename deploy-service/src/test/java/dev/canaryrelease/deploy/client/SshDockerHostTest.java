package dev.canaryrelease.deploy.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.deploy.Infra;
import dev.canaryrelease.fleet.Fleet;

/** The ssh driver against the real sshd in front of a real dockerd. */
class SshDockerHostTest {
    static SshDockerHost host;

    @BeforeAll
    static void start() {
        Infra.start();
        host =
                new SshDockerHost(
                        fleetHost(Infra.ssh1.knownHosts()),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(60));
    }

    static Fleet.Host fleetHost(Path knownHosts) {
        return new Fleet.Host(
                "docker1",
                Infra.docker1.hostAddress(),
                Fleet.Role.PRODUCTION,
                Optional.of(
                        new Fleet.Docker(
                                Fleet.Driver.SSH,
                                "unix://" + Infra.docker1.unixSocket(),
                                Optional.empty(),
                                Optional.of(
                                        new Fleet.Ssh(
                                                Infra.ssh1.host(),
                                                Infra.ssh1.port(),
                                                Infra.ssh1.user(),
                                                Infra.ssh1.privateKey(),
                                                knownHosts)))));
    }

    @Test
    void argumentsAreQuotedSoEventContentCannotInjectShell() throws Exception {
        Path marker = Files.createTempDirectory("inject").resolve("pwned");
        String evil = "x'; touch " + marker + "; echo '";
        assertEquals("'x'\\''; touch " + marker + "; echo '\\'''", SshDockerHost.quote(evil));
        HostException e = assertThrows(HostException.class, () -> host.start(evil));
        assertTrue(e.getMessage().contains("docker start"), e.getMessage());
        assertFalse(Files.exists(marker), "the remote shell ran injected text");
        assertTrue(host.commandLine(List.of("ps", "$(id)")).endsWith("docker 'ps' '$(id)'"));
    }

    @Test
    void aHostKeyOtherThanThePinnedOneIsRefused() throws Exception {
        Path wrong = Files.createTempFile("known_hosts", "");
        Files.writeString(
                wrong,
                "[127.0.0.1]:"
                        + Infra.ssh1.port()
                        + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE9rc2Fub3RoZXJrZXlub3RoZWhvc3RzMTIzNDU2\n");
        try (SshDockerHost h =
                new SshDockerHost(
                        fleetHost(wrong), Duration.ofSeconds(5), Duration.ofSeconds(10))) {
            HostException e =
                    assertThrows(HostException.class, () -> h.appContainers("example-app"));
            assertTrue(e.getMessage().contains("docker1"), e.getMessage());
        }
    }

    @Test
    void listsTheAppContainersQuickly() {
        Infra.resetToV1();
        long t0 = System.nanoTime();
        List<ContainerSpec> all = host.appContainers(Infra.CONTAINER);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, all.size());
        assertTrue(all.get(0).running());
        assertEquals("3000/tcp", all.get(0).ports().get(0).containerPort());
        System.out.println("ssh appContainers took " + ms + " ms");
        t0 = System.nanoTime();
        host.imageConfig(all.get(0).imageId());
        System.out.println("ssh imageConfig took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
}
