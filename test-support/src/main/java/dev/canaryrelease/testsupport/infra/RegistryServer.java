package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real {@code docker-registry} (Debian package docker-registry, distribution 2.8) on
 * 127.0.0.1:free with deletes enabled, serving TLS with a certificate of its own CA ({@link #ca()})
 * and requiring credentials: the registry's own htpasswd auth (bcrypt, made with {@code htpasswd
 * -B} from apache2-utils), one user per name in {@link #USERS}, each with a random password ({@link
 * #credentials(String)}). An anonymous push or pull is answered 401. When asked, it notifies {@code
 * notifyUrl} with {@code Authorization: Bearer <token>}; the notification's {@code actor.name} is
 * the user who pushed.
 *
 * <p>dockerd treats every registry on 127.0.0.0/8 as insecure: it talks TLS to it but does not
 * verify the certificate (and never sends the engine's client certificate). The credentials are
 * still required. {@link #login(DockerEngine, String)} gives an engine's docker CLI a user's
 * credentials (in the engine's own CLI config folder, never {@code ~/.docker}).
 */
public final class RegistryServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** The users every test registry knows: one per service, a CI user and a stranger. */
    public static final List<String> USERS =
            List.of(
                    "build-service",
                    "deploy-service",
                    "registry-service",
                    "gateway",
                    "ci-user",
                    "someone");

    /** A registry user, its password and a file (0600) holding the password alone. */
    public record Credentials(String user, String password, Path passwordFile) {
        /** {@code Basic base64(user:password)}. */
        public String basicAuth() {
            return "Basic "
                    + Base64.getEncoder()
                            .encodeToString(
                                    (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Credentials[" + user + "]";
        }
    }

    private final Path dir;
    private final int port;
    private final String notifyUrl;
    private final String bearerToken;
    private final Path binary;
    private final Thread shutdownHook;
    private final Map<String, Credentials> users = new LinkedHashMap<>();
    private TlsFiles tls;
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
            r.tls = Pki.create(dir.resolve("pki")).serverCert("registry", "127.0.0.1");
            r.writeUsers();
            r.writeConfig();
            r.startDaemon();
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private void writeUsers() {
        Path htpasswd = Binaries.require("htpasswd", "apache2-utils");
        StringBuilder file = new StringBuilder();
        SecureRandom random = new SecureRandom();
        try {
            Path secrets = Files.createDirectories(dir.resolve("secrets"));
            for (String user : USERS) {
                byte[] b = new byte[18];
                random.nextBytes(b);
                String password = HexFormat.of().formatHex(b);
                Path passwordFile = secrets.resolve(user + ".password");
                Files.writeString(passwordFile, password + "\n");
                Pki.privateMode(passwordFile);
                users.put(user, new Credentials(user, password, passwordFile));
                // bcrypt (-B, cost 5: tests log in often); -n prints user:hash
                ExecResult r =
                        Exec.run(
                                List.of(htpasswd.toString(), "-nbB", "-C", "5", user, password),
                                Map.of(),
                                null,
                                Exec.DEFAULT_TIMEOUT);
                if (!r.ok()) {
                    throw new IllegalStateException("htpasswd failed for " + user);
                }
                file.append(r.stdout().strip()).append("\n");
            }
            Path auth = dir.resolve("htpasswd");
            Files.writeString(auth, file.toString());
            Pki.privateMode(auth);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
                .append("auth:\n  htpasswd:\n    realm: canary-registry\n    path: ")
                .append(dir.resolve("htpasswd"))
                .append("\n")
                .append("http:\n  addr: 127.0.0.1:")
                .append(port)
                .append("\n  tls:\n    certificate: ")
                .append(tls.cert())
                .append("\n    key: ")
                .append(tls.key())
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
        HttpClient http = httpClient();
        String basic = credentials("registry-service").basicAuth();
        daemon.awaitReady(
                "GET " + url() + "/v2/",
                START_TIMEOUT,
                () -> {
                    try {
                        return http.send(
                                                HttpRequest.newBuilder(URI.create(url() + "/v2/"))
                                                        .header("Authorization", basic)
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

    /** {@code https://127.0.0.1:port}. */
    public String url() {
        return "https://" + address();
    }

    /** The CA certificate (PEM) the registry's TLS certificate is signed by. */
    public Path ca() {
        return tls.ca();
    }

    /** The credentials of {@code user}, one of {@link #USERS}. */
    public Credentials credentials(String user) {
        Credentials c = users.get(user);
        if (c == null) {
            throw new IllegalArgumentException("no registry user " + user + " (see USERS)");
        }
        return c;
    }

    /** An HTTP client that trusts the registry's CA (and only it). */
    public HttpClient httpClient() {
        try (InputStream in = Files.newInputStream(tls.ca())) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry(
                    "registry-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return HttpClient.newBuilder()
                    .sslContext(ssl)
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + tls.ca(), e);
        }
    }

    /**
     * Gives {@code engine}'s docker CLI (its own config folder, {@code DOCKER_CONFIG}) the
     * credentials of {@code user} for this registry, as {@code docker login} would store them;
     * other registries' entries in that file are kept. {@code user} null removes this registry's
     * entry (the CLI is anonymous again).
     */
    public void login(DockerEngine engine, String user) {
        engine.storeRegistryAuth(address(), user == null ? null : credentials(user).basicAuth());
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
