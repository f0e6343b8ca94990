package dev.canaryrelease.transport;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

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
 *
 * <p>With a server name (the host name of a {@code tcp://docker0.proserveau.local:2376} endpoint,
 * {@link HostResolver#endpoint}), the engine's certificate must also carry that name as a DNS
 * subject alternative name: the connection is made to the address the suite's DNS gave, and the
 * name is what identifies the engine. A certificate of the CA for another name is refused with both
 * named.
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
    private final String serverName;

    public PemSslConfig(Fleet.Tls tls) {
        this(tls, null);
    }

    /**
     * {@code serverName} (nullable: the CA alone decides) must be a DNS name of the engine's
     * certificate.
     */
    public PemSslConfig(Fleet.Tls tls, String serverName) {
        this.tls = tls;
        this.serverName = serverName;
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
            TrustManager[] tms = tmf.getTrustManagers();
            if (serverName != null) {
                for (int i = 0; i < tms.length; i++) {
                    if (tms[i] instanceof X509TrustManager x) {
                        tms[i] = new NameCheck(x, serverName);
                    }
                }
            }
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            ctx.init(kmf.getKeyManagers(), tms, null);
            return ctx;
        } catch (java.security.UnrecoverableKeyException | java.security.KeyManagementException e) {
            throw new KeyStoreException("cannot use the key " + tls.key() + ": " + e, e);
        }
    }

    /**
     * The CA's check of the chain, then the server name among the leaf's DNS names (case does not
     * matter, no wildcards). The connection's own peer (an address) is not what is checked.
     */
    static final class NameCheck extends X509ExtendedTrustManager {
        private final X509TrustManager ca;
        private final String name;

        NameCheck(X509TrustManager ca, String name) {
            this.ca = ca;
            this.name = name;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType)
                throws CertificateException {
            ca.checkServerTrusted(chain, authType);
            List<String> names = dnsNames(chain[0]);
            for (String n : names) {
                if (n.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) return;
            }
            throw new CertificateException(
                    "the engine's certificate is not for "
                            + name
                            + ": it names "
                            + (names.isEmpty() ? "no DNS name" : String.join(", ", names)));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType)
                throws CertificateException {
            ca.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            ca.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            ca.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ca.getAcceptedIssuers();
        }

        private static List<String> dnsNames(X509Certificate c) throws CertificateException {
            List<String> out = new ArrayList<>();
            try {
                Collection<List<?>> sans = c.getSubjectAlternativeNames();
                if (sans != null) {
                    for (List<?> san : sans) {
                        // type 2: dNSName
                        if (Integer.valueOf(2).equals(san.get(0))) out.add((String) san.get(1));
                    }
                }
            } catch (CertificateParsingException e) {
                throw new CertificateException("unreadable subject alternative names: " + e, e);
            }
            return out;
        }
    }
}
