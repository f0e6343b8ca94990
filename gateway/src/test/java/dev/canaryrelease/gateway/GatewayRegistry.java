package dev.canaryrelease.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.RegistryServer;

/**
 * A real {@code docker-registry} (TLS with its own CA, htpasswd users) holding two versions of the
 * app's image, tags {@code v1} and {@code v2}, pushed through the registry's HTTP API by {@code
 * ci-user}, and one version ({@code v1}) of a second app's image. The fleet names both apps and the
 * registry with its CA; the gateway reads it as the registry user {@code gateway}.
 */
public class GatewayRegistry implements QuarkusTestResourceLifecycleManager {
    static final String IMAGE = "example-app";
    static final String OTHER_IMAGE = "other-app";
    static RegistryServer registry;
    static String v1;
    static String v2;
    static String otherV1;

    @Override
    public Map<String, String> start() {
        registry = RegistryServer.start();
        v1 = pushImage(IMAGE, "v1", "1");
        v2 = pushImage(IMAGE, "v2", "2");
        otherV1 = pushImage(OTHER_IMAGE, "v1", "other 1");
        var fleet =
                TestFleet.reference()
                        .registry(registry.address(), registry.url(), registry.ca().toString())
                        .app(
                                "example",
                                "repository: proserveau/example-app, image: "
                                        + IMAGE
                                        + ", port: 3000")
                        .app(
                                "other",
                                "repository: proserveau/other, image: "
                                        + OTHER_IMAGE
                                        + ", port: 3001, backend: other")
                        .write();
        return Map.of(
                "canary.fleet.path", fleet.toString(),
                "canary.gateway.registry-password-file",
                        registry.credentials("gateway").passwordFile().toString());
    }

    @Override
    public void stop() {
        if (registry != null) registry.close();
    }

    /**
     * Pushes a minimal image (a config blob naming {@code version}, no layers) as {@code ci-user},
     * as any client would; returns the manifest digest the registry answered.
     */
    static String pushImage(String repository, String tag, String version) {
        HttpClient http = registry.httpClient();
        String url = registry.url();
        String auth = registry.credentials("ci-user").basicAuth();
        byte[] config =
                ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"VERSION="
                                + version
                                + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
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
            URI upload =
                    URI.create(url).resolve(start.headers().firstValue("Location").orElseThrow());
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
                    "{\"schemaVersion\":2,\"mediaType\":"
                            + "\"application/vnd.docker.distribution.manifest.v2+json\","
                            + "\"config\":{\"mediaType\":"
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
                                    .header(
                                            "Content-Type",
                                            "application/vnd.docker.distribution.manifest.v2+json")
                                    .header("Authorization", auth)
                                    .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            if (m.statusCode() != 201) {
                throw new IllegalStateException("manifest put: " + m.statusCode() + m.body());
            }
            String digest = m.headers().firstValue("Docker-Content-Digest").orElseThrow();
            if (!digest.equals(sha256(manifest.getBytes(StandardCharsets.UTF_8)))) {
                throw new IllegalStateException("the registry changed the manifest: " + digest);
            }
            return digest;
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
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
