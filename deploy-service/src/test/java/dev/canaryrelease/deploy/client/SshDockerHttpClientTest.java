package dev.canaryrelease.deploy.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.transport.DockerHttpClient.Request;
import com.github.dockerjava.transport.DockerHttpClient.Response;

import dev.canaryrelease.deploy.Infra;
import dev.canaryrelease.deploy.domain.ContainerSpec;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.Binaries;
import dev.canaryrelease.testsupport.infra.FreePorts;

/**
 * The ssh driver's transport against the real sshd in front of a real dockerd (docker1): the Docker
 * API through a streamlocal channel, and {@link DockerApiHost} over it.
 */
class SshDockerHttpClientTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CONNECT = Duration.ofSeconds(5);
    static final Duration CALL = Duration.ofSeconds(60);
    static SshDockerHttpClient http;

    @BeforeAll
    static void start() {
        Infra.start();
        http = client(ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()), docker1(), CALL);
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    static String docker1() {
        return "unix://" + Infra.docker1.unixSocket();
    }

    static Fleet.Ssh ssh(Path knownHosts, Path privateKey) {
        return new Fleet.Ssh(
                Infra.ssh1.host(), Infra.ssh1.port(), Infra.ssh1.user(), privateKey, knownHosts);
    }

    static SshDockerHttpClient client(Fleet.Ssh ssh, String endpoint, Duration call) {
        return new SshDockerHttpClient(ssh, endpoint, CONNECT, call);
    }

    static DockerApiHost host(Fleet.Ssh ssh, String endpoint) {
        return host(ssh, endpoint, null);
    }

    /** deploy-service's registry credentials, as {@code RegistryAuth} makes them. */
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

    static Request get(String path) {
        return Request.builder().method(Request.Method.GET).path(path).build();
    }

    static String text(Response r) throws IOException {
        return new String(r.getBody().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aChunkedResponseIsDecoded() throws IOException {
        try (Response r = http.execute(get("/info"))) {
            assertEquals(200, r.getStatusCode());
            assertEquals("chunked", r.getHeader("transfer-encoding"));
            JsonNode info = JSON.readTree(text(r));
            String id = Infra.docker1.docker("info", "--format", "{{.ID}}").orThrow().stdout();
            assertEquals(id.strip(), info.path("ID").asText(), "reached docker1's engine");
        }
        try (Response r = http.execute(get("/_ping"))) {
            assertEquals(200, r.getStatusCode());
            assertEquals("2", r.getHeader("Content-Length"));
            assertEquals("OK", text(r));
        }
    }

    @Test
    void aRequestWithABodyCreatesAContainer() throws IOException {
        Infra.resetToV1();
        String name = "ssh-body-test";
        Infra.docker1.docker("rm", "-f", name);
        byte[] body =
                JSON.writeValueAsBytes(
                        Map.of(
                                "Image",
                                Infra.registry.address() + "/" + Infra.REPO + ":v1",
                                "Labels",
                                Map.of("sent-through", "ssh")));
        String id;
        try (Response r =
                http.execute(
                        Request.builder()
                                .method(Request.Method.POST)
                                .path("/containers/create?name=" + name)
                                .putHeader("Content-Type", "application/json")
                                .bodyBytes(body)
                                .build())) {
            String out = text(r);
            assertEquals(201, r.getStatusCode(), out);
            id = JSON.readTree(out).path("Id").asText();
        }
        String label =
                Infra.docker1
                        .docker(
                                "inspect",
                                "--format",
                                "{{index .Config.Labels \"sent-through\"}}",
                                name)
                        .orThrow()
                        .stdout()
                        .strip();
        assertEquals("ssh", label);
        try (Response r =
                http.execute(
                        Request.builder()
                                .method(Request.Method.DELETE)
                                .path("/containers/" + id + "?force=1")
                                .build())) {
            assertEquals(204, r.getStatusCode());
        }
        assertFalse(Infra.docker1.docker("inspect", name).ok(), "container removed");
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
    void aKeyTheServerDoesNotKnowIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("other-key");
        Path key = dir.resolve("id_ed25519");
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
        try (SshDockerHttpClient c = client(ssh(Infra.ssh1.knownHosts(), key), docker1(), CALL)) {
            var e = assertThrows(RuntimeException.class, () -> c.execute(get("/_ping")));
            assertTrue(
                    e.getMessage().contains("authentication as root with key " + key + " refused"),
                    e.getMessage());
        }
    }

    @Test
    void anSshdThatIsDownIsReportedAsSuch() {
        Fleet.Ssh down =
                new Fleet.Ssh(
                        "127.0.0.1",
                        FreePorts.pick(),
                        "root",
                        Infra.ssh1.privateKey(),
                        Infra.ssh1.knownHosts());
        try (SshDockerHttpClient c = client(down, docker1(), CALL)) {
            var e = assertThrows(RuntimeException.class, () -> c.execute(get("/_ping")));
            assertTrue(e.getMessage().contains("cannot connect to sshd"), e.getMessage());
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

    @Test
    void anEngineThatDoesNotAnswerTimesOutInsteadOfHanging() throws Exception {
        Path sock = Files.createTempDirectory("silent-engine").resolve("docker.sock");
        List<SocketChannel> held = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread accept =
                    new Thread(
                            () -> {
                                try {
                                    while (true) held.add(server.accept()); // and never answer
                                } catch (IOException e) {
                                    // the server closed
                                }
                            },
                            "silent-engine");
            accept.setDaemon(true);
            accept.start();
            try (SshDockerHttpClient c =
                    client(
                            ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()),
                            "unix://" + sock,
                            Duration.ofSeconds(1))) {
                var e =
                        assertTimeoutPreemptively(
                                Duration.ofSeconds(30),
                                () ->
                                        assertThrows(
                                                RuntimeException.class,
                                                () -> c.execute(get("/_ping"))));
                assertTrue(
                        e.getMessage().contains("no answer from the Docker engine within 1s"),
                        e.getMessage());
                // the connection stays usable for the next call
                try (Response r = http.execute(get("/_ping"))) {
                    assertEquals(200, r.getStatusCode());
                }
            }
        } finally {
            for (SocketChannel s : held) s.close();
        }
    }

    @Test
    void aDroppedConnectionIsReopened() throws IOException {
        try (SshDockerHttpClient c =
                client(ssh(Infra.ssh1.knownHosts(), Infra.ssh1.privateKey()), docker1(), CALL)) {
            try (Response r = c.execute(get("/_ping"))) {
                assertEquals("OK", text(r));
            }
            c.connection().getTransport().disconnect();
            try (Response r = c.execute(get("/_ping"))) {
                assertEquals("OK", text(r));
            }
        }
    }

    @Test
    void hijackedConnectionsAreRejected() {
        Request attach =
                Request.builder()
                        .method(Request.Method.POST)
                        .path("/containers/x/attach?stream=1")
                        .hijackedInput(new ByteArrayInputStream(new byte[0]))
                        .build();
        var e = assertThrows(UnsupportedOperationException.class, () -> http.execute(attach));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
    }

    // --- response framing, on bytes -------------------------------------------------------------

    static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static String body(String response) throws IOException {
        return new String(
                SshDockerHttpClient.readResponse(bytes(response), false).body().readAllBytes(),
                StandardCharsets.ISO_8859_1);
    }

    @Test
    void chunkedBodiesWithExtensionsAndTrailersAreDecoded() throws IOException {
        assertEquals(
                "hello, world",
                body(
                        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                                + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
                                + "not part of it"));
        assertThrows(
                EOFException.class,
                () -> body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"));
    }

    @Test
    void contentLengthAndEofBodiesAreFramed() throws IOException {
        assertEquals("abc", body("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"));
        assertEquals("abcdef", body("HTTP/1.0 200 OK\r\n\r\nabcdef"));
        assertThrows(
                EOFException.class, () -> body("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"));
        assertThrows(IOException.class, () -> body("SSH-2.0-OpenSSH\r\n\r\n"));
    }
}
