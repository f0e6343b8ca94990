package dev.canaryrelease.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.infra.Pki;
import dev.canaryrelease.testsupport.infra.TlsFiles;

/**
 * The fleet's PEM files as a TLS client context, in a real handshake with a server that asks for a
 * client certificate (as a Docker engine with {@code --tlsverify} does).
 */
class PemSslConfigTest {
    @TempDir static Path dir;
    static Pki pki;
    static Fleet.Tls client;
    static Fleet.Tls server;

    @BeforeAll
    static void certificates() {
        pki = Pki.create(dir.resolve("ca"));
        client = fleetTls(pki.clientCert());
        server = fleetTls(pki.serverCert("docker0"));
    }

    static Fleet.Tls fleetTls(TlsFiles f) {
        return new Fleet.Tls(f.ca(), f.cert(), f.key());
    }

    /** Shakes hands with a server of {@code serverTls} that requires a client certificate. */
    static String handshake(Fleet.Tls serverTls, Fleet.Tls clientTls) throws Exception {
        return handshake(serverTls, new PemSslConfig(clientTls));
    }

    /** The same with the client's context {@code clientTls}. */
    static String handshake(Fleet.Tls serverTls, PemSslConfig clientTls) throws Exception {
        try (SSLServerSocket listener =
                (SSLServerSocket)
                        new PemSslConfig(serverTls)
                                .getSSLContext()
                                .getServerSocketFactory()
                                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            CompletableFuture<String> seen =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try (SSLSocket s = (SSLSocket) listener.accept()) {
                                    s.startHandshake();
                                    return s.getSession().getPeerPrincipal().getName();
                                } catch (IOException e) {
                                    return "refused: " + e;
                                }
                            });
            try (SSLSocket s =
                    (SSLSocket)
                            clientTls
                                    .getSSLContext()
                                    .getSocketFactory()
                                    .createSocket(
                                            InetAddress.getLoopbackAddress(),
                                            listener.getLocalPort())) {
                s.startHandshake();
                assertEquals("TLSv1.3", s.getSession().getProtocol());
            }
            return seen.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theClientPresentsItsCertificateAndTrustsTheEngineOfItsCa() throws Exception {
        assertEquals("CN=canary-release-client", handshake(server, client));
    }

    @Test
    void anEngineReachedByNameMustShowACertificateForThatName() throws Exception {
        // docker0's certificate names docker0.proserveau.local, and the address it is reached at
        Fleet.Tls docker0 = fleetTls(pki.serverCert("docker0", "docker0.proserveau.local"));
        assertEquals(
                "CN=canary-release-client",
                handshake(docker0, new PemSslConfig(client, "DOCKER0.proserveau.local")));

        // docker2's certificate, of the same CA, where docker0 was asked for
        Fleet.Tls docker2 = fleetTls(pki.serverCert("docker2", "docker2.proserveau.local"));
        SSLHandshakeException e =
                assertThrows(
                        SSLHandshakeException.class,
                        () ->
                                handshake(
                                        docker2,
                                        new PemSslConfig(client, "docker0.proserveau.local")));
        assertTrue(
                e.getMessage()
                        .contains(
                                "the engine's certificate is not for docker0.proserveau.local: it"
                                        + " names docker2, docker2.proserveau.local, localhost"),
                e.getMessage());
    }

    @Test
    void anEngineOfAnotherCaIsRefused() {
        Fleet.Tls stranger = fleetTls(Pki.create(dir.resolve("other-ca")).serverCert("docker0"));
        assertThrows(SSLHandshakeException.class, () -> handshake(stranger, client));
    }

    @Test
    void aFileWithoutItsPemBlockIsNamed() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty-key.pem"), "");
        Fleet.Tls noKey = new Fleet.Tls(client.ca(), client.cert(), empty);
        KeyStoreException e =
                assertThrows(
                        KeyStoreException.class, () -> new PemSslConfig(noKey).getSSLContext());
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());

        Path missing = dir.resolve("no-such-ca.pem");
        Fleet.Tls noCa = new Fleet.Tls(missing, client.cert(), client.key());
        e = assertThrows(KeyStoreException.class, () -> new PemSslConfig(noCa).getSSLContext());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
