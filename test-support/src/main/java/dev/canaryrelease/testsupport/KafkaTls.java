package dev.canaryrelease.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SslConfigs;

import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.testsupport.infra.Pki;
import dev.canaryrelease.testsupport.infra.TlsFiles;

/**
 * The Kafka broker's own small CA and certificates, one folder per principal: {@code
 * <dir>/<principal>/} holds {@code ca.pem} (the CA to trust), {@code cert.pem}, {@code key.pem}
 * (mode 0600) and {@code keystore.pem} (key and certificate in one file, mode 0600: Kafka's {@code
 * ssl.keystore.type=PEM}); the CA itself is in {@code <dir>/ca/}. The certificate's CN is the
 * principal ({@code User:<CN>} on the broker). Made with openssl ({@link Pki}); a second call keeps
 * what exists, so {@code dev/up} is idempotent.
 *
 * <p>A CA of its own, not the suite's (engines, registry): a client certificate made for a Docker
 * engine or for the registry is then no Kafka principal.
 */
public final class KafkaTls {
    /**
     * How the broker maps a certificate's subject to its principal: {@code CN=gateway} → gateway.
     */
    public static final String PRINCIPAL_MAPPING = "RULE:^CN=([^,]+)(,.*)?$/$1/,DEFAULT";

    private final Path dir;
    private final Pki pki;

    private KafkaTls(Path dir) {
        this.dir = dir.toAbsolutePath();
        this.pki = Pki.create(this.dir.resolve("ca"));
    }

    /**
     * Makes the PKCS12 key stores that Kafka builds in memory from the PEM files cheap: the broker
     * builds one per network client (listeners, the controller channel, the transaction markers'
     * sender...), each encrypting the private key with PBKDF2 at 10,000 iterations, which took the
     * broker's start past dev/up's 120 s on a loaded 2-core machine (jstack: every thread in {@code
     * PBKDF2KeyImpl.deriveKey}). Those stores live only in memory under a generated password and
     * are never written, so the iterations protect nothing. Call before the broker starts; it
     * changes only this JVM.
     */
    public static void cheapInMemoryKeyStores() {
        System.setProperty("keystore.pkcs12.keyPbeIterationCount", "1");
        System.setProperty("keystore.pkcs12.certPbeIterationCount", "1");
    }

    /**
     * Makes (or keeps) the CA, the broker's certificate and one client certificate for every
     * principal of {@link KafkaPrincipals#GRANTS} in {@code dir}. The brokers of a cluster start at
     * once on one folder: {@code <dir>/.lock} (an exclusive file lock) lets one process make what
     * is missing while the others wait, then keep it.
     */
    public static synchronized KafkaTls create(Path dir) {
        try {
            Files.createDirectories(dir);
            try (FileChannel lock =
                            FileChannel.open(
                                    dir.resolve(".lock"),
                                    StandardOpenOption.CREATE,
                                    StandardOpenOption.WRITE);
                    FileLock held = lock.lock()) {
                KafkaTls tls = new KafkaTls(dir);
                tls.issue(
                        KafkaPrincipals.BROKER,
                        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                + "extendedKeyUsage=serverAuth,clientAuth\n");
                for (KafkaPrincipals.Grant g : KafkaPrincipals.GRANTS) {
                    tls.principal(g.principal());
                }
                return tls;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * The files of {@code principal}, made if missing (a principal the ACLs do not know has none).
     */
    public TlsFiles principal(String principal) {
        return issue(principal, "extendedKeyUsage=clientAuth\n");
    }

    private synchronized TlsFiles issue(String cn, String extensions) {
        Path folder = dir.resolve(cn);
        TlsFiles f = pki.issueInto(folder, cn, extensions);
        Path keystore = folder.resolve("keystore.pem");
        if (!Files.exists(keystore)) {
            try {
                Path tmp = folder.resolve("keystore.pem.tmp");
                Files.deleteIfExists(tmp);
                Files.createFile(
                        tmp,
                        PosixFilePermissions.asFileAttribute(
                                PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, Files.readString(f.key()) + Files.readString(f.cert()));
                Files.move(tmp, keystore, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return f;
    }

    /** {@code <dir>/<principal>/keystore.pem}. */
    public Path keystore(String principal) {
        return dir.resolve(principal).resolve("keystore.pem");
    }

    /** The CA certificate every client and the broker trust. */
    public Path ca() {
        return pki.ca();
    }

    /** Client settings of {@code principal}: mutual TLS with its certificate. */
    public Map<String, Object> client(String principal) {
        principal(principal);
        Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        c.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        c.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore(principal).toString());
        c.putAll(trustOnly());
        return c;
    }

    /** TLS that trusts the broker but shows no client certificate (an anonymous client). */
    public Map<String, Object> trustOnly() {
        Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        c.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        c.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca().toString());
        return c;
    }

    /**
     * Turns the single-node broker's PLAINTEXT listeners (client and controller) into mutual-TLS
     * ones and switches the {@code StandardAuthorizer} on: every client shows a certificate of this
     * CA ({@code ssl.client.auth=required}), its CN is its principal, nothing is allowed without an
     * ACL, and the broker itself ({@link KafkaPrincipals#BROKER}, also on the controller listener)
     * is the one super user.
     */
    public void secureBroker(Properties p) {
        for (String key : List.of("listeners", "advertised.listeners")) {
            String v = p.getProperty(key);
            if (v != null) p.put(key, v.replace("PLAINTEXT://", "SSL://"));
        }
        p.put("listener.security.protocol.map", "SSL:SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "SSL");
        p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore(KafkaPrincipals.BROKER).toString());
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca().toString());
        p.put("ssl.client.auth", "required");
        p.put("ssl.principal.mapping.rules", PRINCIPAL_MAPPING);
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:" + KafkaPrincipals.BROKER);
        p.put("allow.everyone.if.no.acl.found", "false");
    }
}
