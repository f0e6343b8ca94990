package dev.canaryrelease.transport;

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
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.transport.DockerHttpClient.Request;
import com.github.dockerjava.transport.DockerHttpClient.Response;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.Binaries;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.SshServer;

/**
 * The Docker Engine API through SSH against a real sshd in front of a real dockerd (test-support's
 * {@link SshServer} and {@link DockerEngine}): a streamlocal channel per request, the framing of
 * the answers, and the words for every way it can fail.
 */
class SshDockerHttpClientTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration CONNECT = Duration.ofSeconds(5);
    static final Duration CALL = Duration.ofSeconds(60);
    static DockerEngine engine;
    static SshServer sshd;
    static SshDockerHttpClient http;

    @BeforeAll
    static void start() {
        engine = DockerEngine.start("tc-ssh");
        sshd = SshServer.start(engine);
        http = client(ssh(sshd.knownHosts(), sshd.privateKey()), endpoint(), CALL);
    }

    @AfterAll
    static void stop() {
        if (http != null) http.close();
        if (sshd != null) sshd.close();
        if (engine != null) engine.close();
    }

    static String endpoint() {
        return "unix://" + engine.unixSocket();
    }

    static Fleet.Ssh ssh(Path knownHosts, Path privateKey) {
        return new Fleet.Ssh(sshd.host(), sshd.port(), sshd.user(), privateKey, knownHosts);
    }

    static SshDockerHttpClient client(Fleet.Ssh ssh, String endpoint, Duration call) {
        return new SshDockerHttpClient(ssh, endpoint, CONNECT, call);
    }

    /** A known_hosts file that pins a key other than the sshd's own for its address. */
    static Path knownHostsWithAnotherKey() throws IOException {
        Path file = Files.createTempFile("known_hosts", "");
        Files.writeString(
                file,
                "["
                        + sshd.host()
                        + "]:"
                        + sshd.port()
                        + " ssh-ed25519"
                        + " AAAAC3NzaC1lZDI1NTE5AAAAIE9rc2Fub3RoZXJrZXlub3RoZWhvc3RzMTIzNDU2\n");
        return file;
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
            String id = engine.docker("info", "--format", "{{.ID}}").orThrow().stdout();
            assertEquals(
                    id.strip(), info.path("ID").asText(), "reached the engine behind the sshd");
        }
        try (Response r = http.execute(get("/_ping"))) {
            assertEquals(200, r.getStatusCode());
            assertEquals("2", r.getHeader("Content-Length"));
            assertEquals("OK", text(r));
        }
    }

    @Test
    void aRequestWithABodyReachesTheEngine() throws IOException {
        // the engine reads the JSON body: it names the image the body asked for
        byte[] body =
                JSON.writeValueAsBytes(
                        Map.of("Image", "canary-test/not-here:v9", "Labels", Map.of()));
        try (Response r =
                http.execute(
                        Request.builder()
                                .method(Request.Method.POST)
                                .path("/containers/create?name=ssh-body-test")
                                .putHeader("Content-Type", "application/json")
                                .bodyBytes(body)
                                .build())) {
            String out = text(r);
            assertEquals(404, r.getStatusCode(), out);
            assertTrue(out.contains("canary-test/not-here:v9"), out);
        }
        assertFalse(engine.docker("inspect", "ssh-body-test").ok(), "nothing was created");
    }

    @Test
    void aHostKeyOtherThanThePinnedOneIsRefused() throws Exception {
        Path wrong = knownHostsWithAnotherKey();
        try (SshDockerHttpClient c = client(ssh(wrong, sshd.privateKey()), endpoint(), CALL)) {
            var e = assertThrows(RuntimeException.class, () -> c.execute(get("/_ping")));
            assertTrue(
                    e.getMessage().contains("host key not accepted by known_hosts " + wrong),
                    e.getMessage());
        }
    }

    @Test
    void aMissingRemoteSocketGivesAClearError() {
        String missing = "/nonexistent/canary/docker.sock";
        try (SshDockerHttpClient c =
                client(ssh(sshd.knownHosts(), sshd.privateKey()), "unix://" + missing, CALL)) {
            var e = assertThrows(RuntimeException.class, () -> c.execute(get("/_ping")));
            assertTrue(
                    e.getMessage()
                            .contains(
                                    "cannot reach the Docker socket "
                                            + missing
                                            + " through ssh root@127.0.0.1:"
                                            + sshd.port()),
                    e.getMessage());
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
        try (SshDockerHttpClient c = client(ssh(sshd.knownHosts(), key), endpoint(), CALL)) {
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
                        sshd.privateKey(),
                        sshd.knownHosts());
        try (SshDockerHttpClient c = client(down, endpoint(), CALL)) {
            var e = assertThrows(RuntimeException.class, () -> c.execute(get("/_ping")));
            assertTrue(e.getMessage().contains("cannot connect to sshd"), e.getMessage());
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
                            ssh(sshd.knownHosts(), sshd.privateKey()),
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
                client(ssh(sshd.knownHosts(), sshd.privateKey()), endpoint(), CALL)) {
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
