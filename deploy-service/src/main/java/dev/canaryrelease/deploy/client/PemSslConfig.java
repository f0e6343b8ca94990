package dev.canaryrelease.deploy.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.github.dockerjava.core.SSLConfig;
import com.github.dockerjava.core.util.CertificateUtils;

/**
 * TLS client certificates for a Docker engine from the fleet's three PEM files (CA, certificate,
 * key), whatever their names: the engine's certificate is checked against the CA and we present
 * ours.
 */
final class PemSslConfig implements SSLConfig {
    private static final char[] STORE_PASSWORD = "docker".toCharArray();

    private final Path ca;
    private final Path cert;
    private final Path key;

    PemSslConfig(Path ca, Path cert, Path key) {
        this.ca = ca;
        this.cert = cert;
        this.key = key;
    }

    @Override
    public SSLContext getSSLContext() {
        // docker-java's PEM reader asks for the "BC" provider by name; register it once.
        synchronized (PemSslConfig.class) {
            if (Security.getProvider("BC") == null) {
                Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
            }
        }
        try {
            KeyStore keys =
                    CertificateUtils.createKeyStore(Files.readString(key), Files.readString(cert));
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, STORE_PASSWORD);
            KeyStore trust = CertificateUtils.createTrustStore(Files.readString(ca));
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new HostException("cannot read TLS files " + ca + ", " + cert + ": " + e, e);
        }
    }
}
