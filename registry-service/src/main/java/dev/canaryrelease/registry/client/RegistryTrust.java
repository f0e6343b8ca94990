package dev.canaryrelease.registry.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;

/**
 * The TLS trust and the credentials of {@link RegistryClient}: a trust store holding only the
 * certificates of a PEM file (the suite's CA), and the {@code Basic} header of a user whose
 * password is read from a file. The password is never logged.
 */
final class RegistryTrust {
    private RegistryTrust() {}

    static KeyStore trustStore(Path caPem) {
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
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the registry CA file " + caPem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "the registry CA file " + caPem + " is not PEM certificates", e);
        }
    }

    static String basicAuth(String user, Path passwordFile) {
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
}
