package dev.canaryrelease.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.registry.domain.ManifestPush;
import dev.canaryrelease.registry.domain.MediaTypes;
import dev.canaryrelease.registry.domain.PushJournal;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.RegistryServer;

/**
 * The state a crash leaves behind: a real registry (TLS, credentials, without notifications:
 * nothing will ever be redelivered) holding a labelled image pushed through its HTTP API by {@code
 * build-service}, and a data folder whose push queue holds that push, accepted (answered 200) but
 * not processed. Its release's {@code build.succeeded} comes after the restart (the test sends it).
 */
public class SeededQueue implements QuarkusTestResourceLifecycleManager {
    static final String RELEASE = UUID.randomUUID().toString();
    static final String TAG = "crash-" + RELEASE.substring(0, 8);
    static final String TOKEN = "seeded-" + UUID.randomUUID();
    static RegistryServer registry;
    static String digest;
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("registry-service-seeded");
            registry = RegistryServer.start();
            digest = pushImage(registry, "build-service", "example-app", TAG, RELEASE);
            try (PushJournal j =
                    PushJournal.open(dir.resolve("data").resolve("registry-service"), true, 100)) {
                j.offer(
                        List.of(
                                new ManifestPush(
                                        "example-app",
                                        TAG,
                                        digest,
                                        MediaTypes.DOCKER_MANIFEST,
                                        Instant.now(),
                                        "n-1",
                                        "build-service")));
            }
            Path token = dir.resolve("token");
            Files.writeString(token, TOKEN);
            Path fleet = TestFleet.write("");
            Files.writeString(
                    fleet,
                    Files.readString(fleet)
                            .replace(
                                    "registry: {address: \"127.0.0.1:5000\"}",
                                    "registry: {address: \""
                                            + registry.address()
                                            + "\", url: \""
                                            + registry.url()
                                            + "\", ca: \""
                                            + registry.ca()
                                            + "\"}")
                            .replace(
                                    "{name: example, repository: proserveau/example-app,",
                                    "{name: example, repository: proserveau/example-app,"
                                            + " image: example-app,"));
            return Map.of(
                    "canary.fleet.path", fleet.toString(),
                    "canary.data-dir", dir.resolve("data").toString(),
                    "canary.registry.notification-token-file", token.toString(),
                    "canary.registry.password-file",
                            registry.credentials("registry-service").passwordFile().toString(),
                    "canary.registry.release-wait", "60s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (registry != null) registry.close();
        if (dir != null) RegistryInfra.deleteTree(dir);
    }

    /**
     * Pushes a minimal image (a config blob with the release label, no layers) through the registry
     * HTTP API as {@code user}, as any client would; returns the manifest digest.
     */
    static String pushImage(
            RegistryServer registry, String user, String repository, String tag, String releaseId) {
        HttpClient http = registry.httpClient();
        String url = registry.url();
        String auth = registry.credentials(user).basicAuth();
        byte[] config =
                ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\""
                                + Instant.now()
                                + "\",\"config\":{\"Labels\":{\""
                                + RegistryInfra.LABEL
                                + "\":\""
                                + releaseId
                                + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
                        .getBytes(StandardCharsets.UTF_8);
        String configDigest = sha256(config);
        try {
            HttpResponse<Void> start =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    url + "/v2/" + repository + "/blobs/uploads/"))
                                    .header("Authorization", auth)
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.discarding());
            String location = start.headers().firstValue("Location").orElseThrow();
            URI upload = URI.create(url).resolve(location);
            String sep = upload.getQuery() == null ? "?" : "&";
            HttpResponse<String> put =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(upload + sep + "digest=" + configDigest))
                                    .header("Content-Type", "application/octet-stream")
                                    .header("Authorization", auth)
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(config))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (put.statusCode() != 201) {
                throw new IllegalStateException("blob upload: " + put.statusCode() + put.body());
            }
            String manifest =
                    "{\"schemaVersion\":2,\"mediaType\":\""
                            + MediaTypes.DOCKER_MANIFEST
                            + "\",\"config\":{\"mediaType\":"
                            + "\"application/vnd.docker.container.image.v1+json\",\"size\":"
                            + config.length
                            + ",\"digest\":\""
                            + configDigest
                            + "\"},\"layers\":[]}";
            HttpResponse<String> m =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    url
                                                            + "/v2/"
                                                            + repository
                                                            + "/manifests/"
                                                            + tag))
                                    .header("Content-Type", MediaTypes.DOCKER_MANIFEST)
                                    .header("Authorization", auth)
                                    .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (m.statusCode() != 201) {
                throw new IllegalStateException("manifest put: " + m.statusCode() + m.body());
            }
            return m.headers().firstValue("Docker-Content-Digest").orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] b) {
        try {
            return "sha256:"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
