package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real {@code docker-registry} (Debian package docker-registry, distribution 2.8) on
 * 127.0.0.1:free with deletes enabled and, when asked, notifications to {@code notifyUrl} with
 * {@code Authorization: Bearer <token>}. Registries on 127.0.0.0/8 are plain HTTP and trusted by
 * dockerd without configuration.
 */
public final class RegistryServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final int port;
    private final String notifyUrl;
    private final String bearerToken;
    private final Path binary;
    private final Thread shutdownHook;
    private Daemon daemon;
    private boolean closed;

    private RegistryServer(Path dir, int port, String notifyUrl, String bearerToken, Path binary) {
        this.dir = dir;
        this.port = port;
        this.notifyUrl = notifyUrl;
        this.bearerToken = bearerToken;
        this.binary = binary;
        this.shutdownHook = new Thread(this::close, "close registry");
    }

    /** A registry without notifications. */
    public static RegistryServer start() {
        return start(null, null);
    }

    /**
     * A registry that notifies {@code notifyUrl} (nullable: no notifications) of pushes and
     * deletes, sending {@code Authorization: Bearer bearerToken} (nullable: no header).
     */
    public static RegistryServer start(String notifyUrl, String bearerToken) {
        Path binary = Binaries.require("docker-registry", "docker-registry");
        Path dir;
        try {
            dir = Files.createTempDirectory("canary-registry-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RegistryServer r =
                new RegistryServer(dir, FreePorts.pick(), notifyUrl, bearerToken, binary);
        Runtime.getRuntime().addShutdownHook(r.shutdownHook);
        try {
            r.writeConfig();
            r.startDaemon();
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void writeConfig() {
        StringBuilder y = new StringBuilder();
        y.append("version: 0.1\n")
                // warn: at info the registry logs the notification headers (the bearer token)
                .append("log:\n  level: warn\n  formatter: text\n")
                .append("storage:\n")
                .append("  filesystem:\n    rootdirectory: ")
                .append(dir.resolve("data"))
                .append("\n")
                .append("  delete:\n    enabled: true\n")
                .append("  maintenance:\n    uploadpurging:\n      enabled: false\n")
                .append("http:\n  addr: 127.0.0.1:")
                .append(port)
                .append("\n  headers:\n    X-Content-Type-Options: [nosniff]\n");
        if (notifyUrl != null) {
            y.append("notifications:\n  endpoints:\n    - name: canary-release\n")
                    .append("      url: ")
                    .append(notifyUrl)
                    .append("\n");
            if (bearerToken != null) {
                y.append("      headers:\n        Authorization: [\"Bearer ")
                        .append(bearerToken)
                        .append("\"]\n");
            }
            y.append("      timeout: 2s\n      threshold: 3\n      backoff: 1s\n")
                    .append("      ignoredmediatypes:\n        - application/octet-stream\n");
        }
        try {
            Path config = dir.resolve("config.yml");
            Files.writeString(config, y.toString());
            Pki.privateMode(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startDaemon() {
        daemon =
                Daemon.start(
                        "docker-registry",
                        List.of(binary.toString(), "serve", dir.resolve("config.yml").toString()),
                        dir.resolve("registry.log"),
                        Map.of("OTEL_TRACES_EXPORTER", "none"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        daemon.awaitReady(
                "GET " + url() + "/v2/",
                START_TIMEOUT,
                () -> {
                    try {
                        return http.send(
                                                HttpRequest.newBuilder(URI.create(url() + "/v2/"))
                                                        .timeout(Duration.ofSeconds(1))
                                                        .build(),
                                                HttpResponse.BodyHandlers.discarding())
                                        .statusCode()
                                == 200;
                    } catch (IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
    }

    /** {@code 127.0.0.1:port}: the prefix of image names in this registry. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** {@code http://127.0.0.1:port}. */
    public String url() {
        return "http://" + address();
    }

    public int port() {
        return port;
    }

    /** The registry's log. */
    public Path log() {
        return dir.resolve("registry.log");
    }

    /** The folder holding the registry's storage. */
    public Path storage() {
        return dir.resolve("data");
    }

    /** Stops and starts the registry again on the same port with the same storage. */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("registry closed");
        }
        daemon.stop(Duration.ofSeconds(10));
        startDaemon();
    }

    /** Stops the registry (it can be started again with {@link #restart()}). */
    public synchronized void stop() {
        daemon.stop(Duration.ofSeconds(10));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the hook is running
        }
        if (daemon != null) {
            daemon.stop(Duration.ofSeconds(10));
        }
        HostCleanup.deleteTree(dir);
    }
}
