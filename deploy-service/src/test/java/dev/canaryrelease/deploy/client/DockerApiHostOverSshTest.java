package dev.canaryrelease.deploy.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.github.dockerjava.api.model.AuthConfig;

import dev.canaryrelease.deploy.Infra;
import dev.canaryrelease.deploy.domain.ContainerSpec;
import dev.canaryrelease.fleet.Fleet;

/**
 * The ssh driver against the real sshd in front of a real dockerd (docker1): {@link DockerApiHost}
 * over transport-common's {@code SshDockerHttpClient}, with deploy-service's registry credentials,
 * and the words a refusal gets. The transport itself is tested in transport-common.
 */
class DockerApiHostOverSshTest {
    static final Duration CONNECT = Duration.ofSeconds(5);
    static final Duration CALL = Duration.ofSeconds(60);

    @BeforeAll
    static void start() {
        Infra.start();
    }

    static String docker1() {
        return "unix://" + Infra.docker1.unixSocket();
    }

    static Fleet.Ssh ssh(Path knownHosts, Path privateKey) {
        return new Fleet.Ssh(
                Infra.ssh1.host(), Infra.ssh1.port(), Infra.ssh1.user(), privateKey, knownHosts);
    }

    static DockerApiHost host(Fleet.Ssh ssh, String endpoint) {
        return host(ssh, endpoint, null);
    }

    /**
     * deploy-service's registry credentials, as service-common's {@code RegistryLogin} gives them.
     */
    static AuthConfig deployServiceAuth() {
        var c = Infra.registry.credentials("deploy-service");
        return new AuthConfig()
                .withUsername(c.user())
                .withPassword(c.password())
                .withRegistryAddress(Infra.registry.address());
    }

    static DockerApiHost host(Fleet.Ssh ssh, String endpoint, AuthConfig pullAuth) {
        Fleet.Host h =
                new Fleet.Host(
                        "docker1",
                        Infra.docker1.hostAddress(),
                        Fleet.Role.PRODUCTION,
                        Optional.of(
                                new Fleet.Docker(
                                        Fleet.Driver.SSH,
                                        endpoint,
                                        Optional.empty(),
                                        Optional.of(ssh))));
        return DockerApiHost.overSsh(h, CONNECT, CALL, pullAuth);
    }

    @Test
    void dockerApiHostOverSshListsPullsAndReadsLogs() {
        Infra.resetToV1();
        String ref = Infra.registry.address() + "/" + Infra.REPO + "@" + Infra.v2;
        Infra.docker1.docker("rmi", ref); // not there yet (an earlier test may have pulled it)
        // the registry refuses an engine that pulls without credentials
        try (DockerApiHost anonymous =
                host(ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()), docker1())) {
            HostException e = assertThrows(HostException.class, () -> anonymous.pull(ref));
            assertTrue(e.getMessage().contains("no basic auth credentials"), e.getMessage());
            assertFalse(Infra.docker1.docker("image", "inspect", ref).ok());
        }
        try (DockerApiHost host =
                host(
                        ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()),
                        docker1(),
                        deployServiceAuth())) {
            assertTrue(
                    host.describe().startsWith("docker1 (ssh root@127.0.0.1:" + Infra.ssh1.port()),
                    host.describe());
            long t0 = System.nanoTime();
            List<ContainerSpec> all = host.appContainers(Infra.CONTAINER);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(1, all.size());
            assertTrue(all.get(0).running());
            assertEquals("3000/tcp", all.get(0).ports().get(0).containerPort());
            System.out.println("ssh appContainers took " + ms + " ms");
            t0 = System.nanoTime();
            host.imageConfig(all.get(0).imageId());
            System.out.println(
                    "ssh imageConfig took " + (System.nanoTime() - t0) / 1_000_000 + " ms");

            // the pull's progress is a stream; with deploy-service's credentials it succeeds
            host.pull(ref);
            assertTrue(
                    host.repoDigests(ref).stream().anyMatch(d -> d.endsWith("@" + Infra.v2)),
                    host.repoDigests(ref).toString());
            assertTrue(Infra.docker1.docker("image", "inspect", ref).ok());

            String logs = host.logs(all.get(0).id(), 5);
            assertFalse(logs.startsWith("(no logs"), logs);
        }
    }

    @Test
    void aHostKeyOtherThanThePinnedOneIsRefused() throws Exception {
        Path wrong = Infra.knownHostsWithAnotherKey();
        try (DockerApiHost h = host(ssh(wrong, Infra.ssh1.privateKey()), docker1())) {
            HostException e =
                    assertThrows(HostException.class, () -> h.appContainers("example-app"));
            String m = e.getMessage();
            assertTrue(m.startsWith("docker1 (ssh root@127.0.0.1:" + Infra.ssh1.port()), m);
            assertTrue(m.contains("list containers"), m);
            assertTrue(m.contains("host key not accepted by known_hosts " + wrong), m);
        }
    }

    @Test
    void aMissingRemoteSocketGivesAClearError() {
        String missing = "/nonexistent/canary/docker.sock";
        try (DockerApiHost h =
                host(ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()), "unix://" + missing)) {
            HostException e =
                    assertThrows(HostException.class, () -> h.appContainers("example-app"));
            String m = e.getMessage();
            assertTrue(m.startsWith("docker1 (ssh root@127.0.0.1:"), m);
            assertTrue(m.contains("list containers"), m);
            assertTrue(
                    m.contains(
                            "cannot reach the Docker socket "
                                    + missing
                                    + " through ssh root@127.0.0.1:"
                                    + Infra.ssh1.port()),
                    m);
        }
    }
}
