package dev.canaryrelease.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.Pki;
import dev.canaryrelease.testsupport.infra.TlsFiles;

/**
 * The gateway exposed as GitHub needs it: bound to every address, HTTPS only, with a certificate of
 * the suite's CA (what docs/install.md gives it). The test talks to it on 127.0.0.1 only.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
@WithTestResource(GatewayHttpsTest.Https.class)
class GatewayHttpsTest {
    /** A CA, the gateway's server certificate, and Quarkus's keys for HTTPS only. */
    public static class Https implements QuarkusTestResourceLifecycleManager {
        static volatile Path ca;

        @Override
        public Map<String, String> start() {
            try {
                Pki pki = Pki.create(Files.createTempDirectory("gateway-https-"));
                TlsFiles server = pki.serverCert("gateway.canary.test");
                ca = pki.ca();
                return Map.of(
                        "quarkus.http.host", "0.0.0.0",
                        "quarkus.http.ssl.certificate.files", server.cert().toString(),
                        "quarkus.http.ssl.certificate.key-files", server.key().toString(),
                        "quarkus.http.insecure-requests", "disabled",
                        "quarkus.http.test-ssl-port", "0");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stop() {}
    }

    @TestHTTPResource(value = "/", tls = true)
    URL https;

    HttpClient trusting;

    @BeforeEach
    void ready() throws Exception {
        trusting = client(trust(Https.ca));
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> get(trusting, "q/health/ready", null).statusCode() == 200);
    }

    @Test
    void aSignedPushOverHttpsIsAccepted() throws Exception {
        assertEquals("https", https.getProtocol());
        byte[] body = Github.push();
        HttpResponse<String> r =
                trusting.send(
                        HttpRequest.newBuilder(URI.create(https + "webhooks/github"))
                                .header("X-GitHub-Event", "push")
                                .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                                .header("X-Hub-Signature-256", Github.sign(body))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertEquals(202, r.statusCode(), r.body());
        assertTrue(r.body().contains("releaseId"), r.body());
        assertEquals(200, get(trusting, "releases", GatewayTestFiles.VIEWER_TOKEN).statusCode());
    }

    @Test
    void plainHttpGetsNoAnswer() {
        URI plain = URI.create(https.toString().replaceFirst("^https:", "http:") + "q/health");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        // the port speaks TLS only: a plain request gets no HTTP answer at all
        assertThrows(
                IOException.class,
                () ->
                        client.send(
                                HttpRequest.newBuilder(plain)
                                        .timeout(Duration.ofSeconds(5))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void aClientThatDoesNotTrustTheSuitesCaIsRefusedInTheHandshake() throws Exception {
        Path otherCa = Pki.create(Files.createTempDirectory("other-ca-")).ca();
        HttpClient stranger = client(trust(otherCa));

        assertThrows(SSLHandshakeException.class, () -> get(stranger, "q/health", null));
    }

    private HttpResponse<String> get(HttpClient client, String path, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(https + path)).timeout(Duration.ofSeconds(10));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** An SSL context that trusts only the CA certificate in {@code caPem}. */
    private static SSLContext trust(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
