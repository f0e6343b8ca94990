package dev.canaryrelease.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import com.github.dockerjava.core.SSLConfig;
import com.github.dockerjava.core.util.CertificateUtils;

import dev.canaryrelease.fleet.Fleet;

/**
 * TLS with a client certificate to a Docker engine from the fleet's three PEM files (CA, client
 * certificate, client key), wherever they are and whatever their names (docker-java's own directory
 * config needs {@code ca.pem}, {@code cert.pem}, {@code key.pem} in one folder). The engine's
 * certificate is checked against the CA alone, and ours is presented. TLS 1.3 only.
 *
 * <p>Used by build-service (the build engine) and deploy-service (each host's engine). It is both
 * docker-java's {@code core.SSLConfig} and its {@code transport.SSLConfig}, so it goes into {@code
 * DefaultDockerClientConfig.withCustomSslConfig} as into {@code ApacheDockerHttpClient.sslConfig}.
 * A file that is missing, unreadable or holds no PEM block of its kind is a {@link
 * KeyStoreException} naming the file; the files are read each time a context is made.
 */
public final class PemSslConfig implements SSLConfig {
    /** The protocol of every context: the engines of the suite speak TLS 1.3. */
    static final String PROTOCOL = "TLSv1.3";

    /** The in-memory key store's password: the store never leaves this object. */
    private static final char[] KEY_PASSWORD = "docker".toCharArray();

    static {
        // docker-java's PEM parsing asks for the "BC" provider by name
        synchronized (Security.class) {
            if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
                Security.addProvider(new BouncyCastleProvider());
            }
        }
    }

    private final Fleet.Tls tls;

    public PemSslConfig(Fleet.Tls tls) {
        this.tls = tls;
    }

    /** The files this context is made of. */
    public Fleet.Tls files() {
        return tls;
    }

    @Override
    public SSLContext getSSLContext() throws KeyStoreException, NoSuchAlgorithmException {
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
                    "cannot read the engine's TLS files ("
                            + tls.ca()
                            + ", "
                            + tls.cert()
                            + ", "
                            + tls.key()
                            + "): "
                            + e,
                    e);
        }
        try {
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, KEY_PASSWORD);
            TrustManagerFactory tmf =
                    TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.UnrecoverableKeyException | java.security.KeyManagementException e) {
            throw new KeyStoreException("cannot use the key " + tls.key() + ": " + e, e);
        }
    }
}
