package dev.canaryrelease.builder.client;

import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyManagementException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Security;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import com.github.dockerjava.core.util.CertificateUtils;
import com.github.dockerjava.transport.SSLConfig;

import dev.canaryrelease.fleet.Fleet;

/**
 * TLS with a client certificate to a Docker engine from the fleet's three PEM files (CA, client
 * certificate, client key), wherever they are: docker-java's own directory config needs them named
 * {@code ca.pem}, {@code cert.pem}, {@code key.pem} in one folder.
 */
final class PemSslConfig implements SSLConfig {
    private static final char[] KEY_PASSWORD = "docker".toCharArray();

    static {
        // docker-java's PEM parsing asks for the "BC" provider by name
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
    }

    private final Fleet.Tls tls;

    PemSslConfig(Fleet.Tls tls) {
        this.tls = tls;
    }

    @Override
    public SSLContext getSSLContext()
            throws KeyManagementException,
                    UnrecoverableKeyException,
                    NoSuchAlgorithmException,
                    KeyStoreException {
        KeyStore keys;
        KeyStore trust;
        try {
            PrivateKey key = CertificateUtils.loadPrivateKey(Files.readString(tls.key()));
            if (key == null) {
                throw new KeyStoreException("no PEM private key in " + tls.key());
            }
            List<Certificate> chain =
                    CertificateUtils.loadCertificates(Files.readString(tls.cert()));
            if (chain.isEmpty()) {
                throw new KeyStoreException("no PEM certificate in " + tls.cert());
            }
            List<Certificate> cas = CertificateUtils.loadCertificates(Files.readString(tls.ca()));
            if (cas.isEmpty()) {
                throw new KeyStoreException("no PEM CA certificate in " + tls.ca());
            }
            keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(null, null);
            keys.setKeyEntry("client", key, KEY_PASSWORD, chain.toArray(new Certificate[0]));
            trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                trust.setCertificateEntry("ca-" + i, cas.get(i));
            }
        } catch (KeyStoreException e) {
            throw e;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new KeyStoreException(
                    "cannot read the engine's TLS files (" + tls.cert() + "): " + e.getMessage(),
                    e);
        }
        KeyManagerFactory kmf =
                KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, KEY_PASSWORD);
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }
}
