package dev.canaryrelease.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;
import dev.canaryrelease.testsupport.infra.ExecResult;
import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.RegistryServer;

/**
 * The real infrastructure of the registry tests: a {@code docker-registry} (TLS, htpasswd users)
 * whose notifications go to the service's test port (fixed, picked free before the service starts)
 * with a bearer token, and a real {@code dockerd} that builds and pushes the example app. The fleet
 * names two apps: {@code example} (image {@code example-app}) and {@code retained} (image {@code
 * retained-app}); both allow {@code ci-user} to release by an unlabelled push. The service reads
 * the registry as {@code registry-service}, trusting the registry's CA.
 */
public class RegistryInfra implements QuarkusTestResourceLifecycleManager {
    public static final String TOKEN = "notify-" + UUID.randomUUID();
    public static final String LABEL = "dev.canaryrelease.release-id";
    private static final Pattern DIGEST = Pattern.compile("digest: (sha256:[0-9a-f]{64})");

    static RegistryServer registry;
    static DockerEngine engine;
    static int port;
    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("registry-service-test");
            Path tokenFile = dir.resolve("notification-token");
            Files.writeString(tokenFile, TOKEN + "\n");
            port = FreePorts.pick();
            registry =
                    RegistryServer.start(
                            "http://127.0.0.1:" + port + "/registry/notifications", TOKEN);
            engine = DockerEngine.start("regsvc");
            Path fleet =
                    TestFleet.reference()
                            .registry(registry.address(), registry.url(), registry.ca().toString())
                            .app(
                                    "example",
                                    "repository: proserveau/example-app, image: example-app,"
                                            + " port: 3000, releaseByPush: [ci-user]")
                            .app(
                                    "retained",
                                    "repository: proserveau/retained, image: retained-app, port:"
                                            + " 3001, backend: retained, releaseByPush: [ci-user]")
                            .write();
            return Map.of(
                    "quarkus.http.test-port", String.valueOf(port),
                    "canary.fleet.path", fleet.toString(),
                    "canary.data-dir", dir.resolve("data").toString(),
                    "canary.registry.notification-token-file", tokenFile.toString(),
                    "canary.registry.password-file",
                            registry.credentials("registry-service").passwordFile().toString(),
                    "canary.registry.release-wait", "20s",
                    "canary.registry.retention.keep", "2");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (engine != null) engine.close();
        if (registry != null) registry.close();
        if (dir != null) deleteTree(dir);
    }

    static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    // best effort
                                }
                            });
        } catch (IOException e) {
            // best effort
        }
    }

    /**
     * Builds the example app ({@code version}) with optional release label and pushes it as {@code
     * repository:tag}, logged in as {@code user} (one of {@link RegistryServer#USERS}; the
     * notification's actor); returns the pushed digest.
     */
    static synchronized String buildAndPush(
            String user, String repository, String tag, String version, String releaseId) {
        registry.login(engine, user);
        Path context;
        try {
            context = Files.createTempDirectory("regsvc-app-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            ExampleApp.writeContext(context, version, false);
            String image = registry.address() + "/" + repository + ":" + tag;
            if (releaseId == null) {
                engine.docker(Duration.ofMinutes(3), "build", "-q", "-t", image, context.toString())
                        .orThrow();
            } else {
                engine.docker(
                                Duration.ofMinutes(3),
                                "build",
                                "-q",
                                "--label",
                                LABEL + "=" + releaseId,
                                "-t",
                                image,
                                context.toString())
                        .orThrow();
            }
            ExecResult push = engine.docker(Duration.ofMinutes(3), "push", image).orThrow();
            Matcher m = DIGEST.matcher(push.stdout());
            if (!m.find()) {
                throw new IllegalStateException("no digest in push output: " + push.stdout());
            }
            return m.group(1);
        } finally {
            deleteTree(context);
        }
    }
}
