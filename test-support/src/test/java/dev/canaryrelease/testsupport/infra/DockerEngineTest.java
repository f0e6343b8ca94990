package dev.canaryrelease.testsupport.infra;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A real dockerd over TLS builds the example app, pushes it to a real registry, and another engine
 * runs it from that registry only; the page and /health answer on the engine's loopback address.
 */
class DockerEngineTest {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void buildsPushesAndRunsTheExampleAppFromTheLocalRegistryOverTls() throws Exception {
        Path dir;
        String bridge;
        try (RegistryServer registry = RegistryServer.start();
                DockerEngine builder = DockerEngine.start("docker0");
                DockerEngine host = DockerEngine.start("docker1")) {
            dir = host.dir();
            bridge = host.bridge();
            assertTrue(host.tcpEndpoint().startsWith("tcp://127."), host.tcpEndpoint());
            assertNotEquals(builder.hostAddress(), host.hostAddress());
            // the TLS API refuses a client without a certificate
            ExecResult noCert =
                    Exec.run(
                            "docker",
                            "--tls",
                            "--tlscacert",
                            host.clientTls().ca().toString(),
                            "-H",
                            host.tcpEndpoint(),
                            "ps");
            assertNotEquals(0, noCert.exitCode(), noCert.stdout());
            // the client files are a DOCKER_CERT_PATH folder (ca.pem, cert.pem, key.pem)
            ExecResult certPath =
                    Exec.run(
                            List.of("docker", "ps"),
                            Map.of(
                                    "DOCKER_HOST", host.tcpEndpoint(),
                                    "DOCKER_TLS_VERIFY", "1",
                                    "DOCKER_CERT_PATH", host.clientTls().dir().toString(),
                                    "DOCKER_CONFIG", host.dir().resolve("config").toString()),
                            null,
                            Duration.ofSeconds(30));
            assertEquals(0, certPath.exitCode(), certPath.stderr());

            // the registry refuses anonymous clients: HTTP API, docker push and docker pull
            HttpResponse<Void> anonymous =
                    registry.httpClient()
                            .send(
                                    HttpRequest.newBuilder(URI.create(registry.url() + "/v2/"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding());
            assertEquals(401, anonymous.statusCode());
            Path ctx = ExampleApp.writeContext(Files.createTempDirectory("ctx"), "v0", false);
            String anonImage = registry.address() + "/proserveau/example-app:anonymous";
            builder.docker(Duration.ofMinutes(2), "build", "-q", "-t", anonImage, ctx.toString())
                    .orThrow();
            ExecResult anonPush = builder.docker(Duration.ofMinutes(2), "push", anonImage);
            assertNotEquals(0, anonPush.exitCode(), anonPush.stdout());
            assertTrue(anonPush.stderr().contains("no basic auth credentials"), anonPush.stderr());
            registry.login(builder, "ci-user");
            String digest =
                    ExampleApp.buildAndPush(
                            builder,
                            registry.address(),
                            "proserveau/example-app",
                            "v1tag",
                            "v1",
                            false);
            assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
            assertEquals(digest, manifestDigest(registry, "proserveau/example-app", "v1tag"));

            String image = registry.address() + "/proserveau/example-app@" + digest;
            ExecResult anonPull = host.docker(Duration.ofMinutes(2), "pull", image);
            assertNotEquals(0, anonPull.exitCode(), anonPull.stdout());
            assertTrue(anonPull.stderr().contains("no basic auth credentials"), anonPull.stderr());
            registry.login(host, "deploy-service");
            int port = FreePorts.pickOn(host.hostAddress());
            ExampleApp.run(host, image, "example-app", host.hostAddress(), port, "docker1");

            String ps = host.docker("ps", "--format", "{{.Names}}").orThrow().stdout();
            assertTrue(ps.lines().anyMatch("example-app"::equals), ps);
            assertEquals(
                    image,
                    host.docker("inspect", "--format", "{{.Config.Image}}", "example-app")
                            .orThrow()
                            .stdout()
                            .strip());
            String base = "http://" + host.hostAddress() + ":" + port;
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> get(base + "/").statusCode() == 200);
            String page = get(base + "/").body();
            assertTrue(page.contains("example-app v1 on docker1"), page);
            HttpResponse<String> health = get(base + "/health");
            assertEquals(200, health.statusCode());
            assertEquals("ok v1\n", health.body());

            String broken =
                    ExampleApp.buildAndPush(
                            builder,
                            registry.address(),
                            "proserveau/example-app",
                            "v2tag",
                            "v2",
                            true);
            int port2 = FreePorts.pickOn(host.hostAddress());
            ExampleApp.run(
                    host,
                    registry.address() + "/proserveau/example-app@" + broken,
                    "example-app-v2",
                    host.hostAddress(),
                    port2,
                    "docker1");
            String base2 = "http://" + host.hostAddress() + ":" + port2;
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> get(base2 + "/").body().contains("example-app v2 on docker1"));
            assertEquals(404, get(base2 + "/health").statusCode());
        }
        // close() left nothing behind
        assertFalse(Files.exists(dir));
        assertTrue(HostCleanup.mountsUnder(dir).isEmpty());
        assertTrue(HostCleanup.processesNaming(dir).isEmpty());
        assertFalse(Exec.run("ip", "link", "show", bridge).ok(), "bridge " + bridge + " removed");
    }

    @Test
    void refusesToPullFromAnywhereButLoopback() {
        try (DockerEngine engine = DockerEngine.start("docker9")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    ExampleApp.run(
                                            engine,
                                            "busybox:latest",
                                            "x",
                                            engine.hostAddress(),
                                            3000,
                                            "docker9"));
            assertTrue(e.getMessage().contains("never Docker Hub"), e.getMessage());
            // and the engine itself cannot reach Docker Hub: its proxy is a closed local port
            ExecResult pull = engine.docker(Duration.ofSeconds(60), "pull", "busybox:latest");
            assertNotEquals(0, pull.exitCode());
            assertTrue(pull.stderr().contains("127.0.0.1:9"), pull.stderr());
            assertEquals("", engine.docker("images", "-q").orThrow().stdout().strip());
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String manifestDigest(RegistryServer registry, String repo, String tag)
            throws IOException, InterruptedException {
        HttpResponse<Void> r =
                registry.httpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        registry.url()
                                                                + "/v2/"
                                                                + repo
                                                                + "/manifests/"
                                                                + tag))
                                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                        .header(
                                                "Accept",
                                                "application/vnd.docker.distribution.manifest.v2+json")
                                        .header(
                                                "Authorization",
                                                registry.credentials("registry-service")
                                                        .basicAuth())
                                        .build(),
                                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, r.statusCode());
        return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }
}
