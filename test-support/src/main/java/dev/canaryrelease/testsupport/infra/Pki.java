package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A small certificate authority made with the openssl CLI (what the reference architecture's {@code
 * create-tls.sh} does): ECDSA P-256 keys, server certificates with SANs for Docker engines, client
 * certificates for the services. Keys are mode 0600.
 */
public final class Pki {
    private static final Pattern IP =
            Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*");

    private final Path dir;
    private final Path openssl;
    private final Path caCert;
    private final Path caKey;

    private Pki(Path dir, Path openssl) {
        this.dir = dir;
        this.openssl = openssl;
        this.caCert = dir.resolve("ca.pem");
        this.caKey = dir.resolve("ca-key.pem");
    }

    /** Creates (or reuses, if {@code dir} already holds one) a CA in {@code dir}. */
    public static Pki create(Path dir) {
        Pki pki = new Pki(dir.toAbsolutePath(), Binaries.require("openssl", "openssl"));
        pki.init();
        return pki;
    }

    /** The CA certificate. */
    public Path ca() {
        return caCert;
    }

    public Path dir() {
        return dir;
    }

    private void init() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (Files.exists(caCert) && Files.exists(caKey)) {
            return;
        }
        openssl(
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                caKey.toString(),
                "-out",
                caCert.toString(),
                "-days",
                "3650",
                "-subj",
                "/CN=canary-release-local-ca",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign");
        privateMode(caKey);
    }

    /**
     * A server certificate for {@code name} with SANs {@code name}, {@code sans} (IP addresses or
     * DNS names), {@code localhost} and {@code 127.0.0.1}.
     */
    public synchronized TlsFiles serverCert(String name, String... sans) {
        Set<String> all = new LinkedHashSet<>();
        all.add(name);
        all.addAll(List.of(sans));
        all.add("localhost");
        all.add("127.0.0.1");
        List<String> alt = new ArrayList<>();
        for (String s : all) {
            alt.add((IP.matcher(s).matches() ? "IP:" : "DNS:") + s);
        }
        return issue(
                "server-" + name + "-" + Integer.toHexString(all.hashCode()),
                name,
                "subjectAltName=" + String.join(",", alt) + "\nextendedKeyUsage=serverAuth\n");
    }

    /** A client certificate (CN {@code canary-release-client}) signed by this CA. */
    public synchronized TlsFiles clientCert() {
        return issue("client", "canary-release-client", "extendedKeyUsage=clientAuth\n");
    }

    /**
     * Issues a certificate into its own folder {@code dir/<file>/} as {@code ca.pem}, {@code
     * cert.pem} and {@code key.pem}: the {@code DOCKER_CERT_PATH} layout docker and docker-java
     * read.
     */
    private TlsFiles issue(String file, String cn, String extensions) {
        return issueInto(dir.resolve(file), cn, extensions);
    }

    /**
     * Issues a certificate for {@code cn} into {@code folder} ({@code ca.pem}, {@code cert.pem},
     * {@code key.pem}), unless it is already there; {@code extensions} are openssl x509 extension
     * lines added to the key usage.
     */
    public synchronized TlsFiles issueInto(Path folder, String cn, String extensions) {
        Path ca = folder.resolve("ca.pem");
        Path cert = folder.resolve("cert.pem");
        Path key = folder.resolve("key.pem");
        if (Files.exists(cert) && Files.exists(key) && Files.exists(ca)) {
            return new TlsFiles(ca, cert, key);
        }
        Path csr = folder.resolve("req.csr");
        Path ext = folder.resolve("req.ext");
        try {
            Files.createDirectories(folder);
            Files.writeString(
                    ext,
                    "basicConstraints=critical,CA:FALSE\n"
                            + "keyUsage=critical,digitalSignature,keyEncipherment\n"
                            + extensions);
            openssl(
                    "req",
                    "-new",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key.toString(),
                    "-out",
                    csr.toString(),
                    "-subj",
                    "/CN=" + cn);
            privateMode(key);
            openssl(
                    "x509",
                    "-req",
                    "-in",
                    csr.toString(),
                    "-CA",
                    caCert.toString(),
                    "-CAkey",
                    caKey.toString(),
                    "-CAcreateserial",
                    "-CAserial",
                    dir.resolve("ca.srl").toString(),
                    "-out",
                    cert.toString(),
                    "-days",
                    "825",
                    "-extfile",
                    ext.toString());
            Files.deleteIfExists(csr);
            Files.deleteIfExists(ext);
            Files.copy(caCert, ca, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TlsFiles(ca, cert, key);
    }

    private void openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(openssl.toString());
        cmd.addAll(List.of(args));
        Exec.run(cmd, java.util.Map.of(), dir, Exec.DEFAULT_TIMEOUT).orThrow();
    }

    static void privateMode(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
