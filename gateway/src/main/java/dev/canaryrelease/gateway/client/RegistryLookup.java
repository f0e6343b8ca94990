package dev.canaryrelease.gateway.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The gateway's read-only door to the registry's HTTP API: which manifest digest a tag or a digest
 * of an app's image names ({@code GET /v2/<repository>/manifests/<reference>}), over TLS trusting
 * only the fleet's {@code registry.ca}, as the gateway's own registry user. It only ever sends
 * {@code GET}: the gateway needs no push or delete. The password is read once and never logged.
 */
public final class RegistryLookup {
    /** What a tag or digest names: Docker schema 2 and OCI manifests and their indexes. */
    static final String ACCEPT =
            "application/vnd.docker.distribution.manifest.v2+json,"
                    + " application/vnd.oci.image.manifest.v1+json,"
                    + " application/vnd.docker.distribution.manifest.list.v2+json,"
                    + " application/vnd.oci.image.index.v1+json";

    /** A tag as the registry accepts it (distribution's reference grammar). */
    public static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    /** A digest the suite rolls out. */
    public static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    /** The answer: the digest, or why there is none. */
    public sealed interface Answer {}

    /** The reference names this manifest digest. */
    public record Found(String digest) implements Answer {}

    /** The registry has no such tag or digest of the repository (404). */
    public record Missing(String sentence) implements Answer {}

    /** The registry could not answer (down, refused the credentials, a bad answer): retry later. */
    public record Unavailable(String sentence) implements Answer {}

    private final URI base;
    private final HttpClient http;
    private final Optional<String> auth;
    private final Duration timeout;

    /**
     * @param url the registry's HTTP API ({@code https://…})
     * @param ca PEM certificates to trust (null: the JDK's trusted CAs)
     * @param user the gateway's registry user
     * @param passwordFile its password (empty: anonymous, which a registry with htpasswd refuses)
     */
    public RegistryLookup(
            String url, Path ca, String user, Optional<Path> passwordFile, Duration timeout) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.timeout = timeout;
        HttpClient.Builder b =
                HttpClient.newBuilder()
                        .connectTimeout(timeout)
                        .followRedirects(HttpClient.Redirect.NORMAL);
        if (ca != null) {
            b.sslContext(trusting(ca));
        }
        this.http = b.build();
        this.auth = passwordFile.map(f -> basic(user, f));
    }

    private RegistryLookup() {
        this.base = null;
        this.http = null;
        this.auth = Optional.empty();
        this.timeout = Duration.ZERO;
    }

    /** No registry (the fleet names none): every lookup is {@link Unavailable}. */
    public static RegistryLookup none() {
        return new RegistryLookup();
    }

    /** Whether requests carry credentials. */
    public boolean authenticated() {
        return auth.isPresent();
    }

    public URI base() {
        return base;
    }

    /**
     * The manifest digest {@code reference} (a tag or a {@code sha256:} digest) names in {@code
     * repository}: the digest of the bytes the registry returns, checked against its {@code
     * Docker-Content-Digest} and, for a digest, against the reference itself.
     */
    public CompletableFuture<Answer> resolve(String repository, String reference) {
        if (!TAG.matcher(reference).matches() && !DIGEST.matcher(reference).matches()) {
            throw new IllegalArgumentException("not a tag or a sha256 digest: " + reference);
        }
        String name = repository + (reference.startsWith("sha256:") ? "@" : ":") + reference;
        if (base == null) {
            return CompletableFuture.completedFuture(
                    new Unavailable("the fleet names no registry to find " + name + " in"));
        }
        HttpRequest.Builder rq =
                HttpRequest.newBuilder(base.resolve("v2/" + repository + "/manifests/" + reference))
                        .timeout(timeout)
                        .header("Accept", ACCEPT)
                        .GET();
        auth.ifPresent(a -> rq.header("Authorization", a));
        return http.sendAsync(rq.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle(
                        (r, err) -> {
                            if (err != null) {
                                return unreachable(name, err);
                            }
                            return answer(name, reference, r);
                        });
    }

    private Answer answer(String name, String reference, HttpResponse<byte[]> r) {
        int s = r.statusCode();
        if (s == 404) {
            return new Missing("the registry has no " + name);
        }
        if (s == 401 || s == 403) {
            return new Unavailable(
                    "the registry refused the gateway's credentials ("
                            + s
                            + (auth.isPresent()
                                    ? ""
                                    : "; canary.gateway.registry-password-file is not set")
                            + ")");
        }
        if (s != 200) {
            return new Unavailable("the registry answered " + s + " for " + name);
        }
        String computed = sha256(r.body());
        String said = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (said != null && !said.equals(computed)) {
            return new Unavailable(
                    "the registry says " + name + " is " + said + " but it hashes to " + computed);
        }
        if (reference.startsWith("sha256:") && !computed.equals(reference)) {
            return new Unavailable("the manifest of " + name + " hashes to " + computed);
        }
        return new Found(computed);
    }

    private Answer unreachable(String name, Throwable err) {
        Throwable c =
                err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        String why;
        if (c instanceof HttpTimeoutException) {
            why = "no answer within " + timeout.toSeconds() + "s";
        } else if (c instanceof SSLHandshakeException) {
            why = "its TLS certificate is not trusted (" + c.getMessage() + ")";
        } else {
            why =
                    c.getClass().getSimpleName()
                            + (c.getMessage() == null ? "" : ": " + c.getMessage());
        }
        return new Unavailable(
                "the registry at " + base + " cannot be reached for " + name + ": " + why);
    }

    static String sha256(byte[] b) {
        try {
            return "sha256:"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SSLContext trusting(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("registry-ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalStateException(
                        "the registry CA file " + caPem + " holds no certificate");
            }
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry CA file " + caPem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "the registry CA file " + caPem + " is not PEM certificates", e);
        }
    }

    private static String basic(String user, Path passwordFile) {
        String password;
        try {
            password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the registry password file " + passwordFile, e);
        }
        if (password.isEmpty()) {
            throw new IllegalStateException(
                    "the registry password file " + passwordFile + " is empty");
        }
        return "Basic "
                + Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "RegistryLookup[" + base + "]";
    }
}
