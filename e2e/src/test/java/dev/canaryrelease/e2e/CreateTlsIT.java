package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dev/create-tls} as docs/install.md runs it for the seed's hosts (dev/up runs its loopback
 * form on every start): the CA and certificates an operator copies to the engines, the registry and
 * the fleet, with the names TLS verification uses, kept on a second run, and a sentence for a bad
 * argument.
 */
class CreateTlsIT {
    private static final Path ROOT =
            Path.of(System.getProperty("canary.root", "..")).toAbsolutePath().normalize();

    @TempDir Path tmp;

    @Test
    void makesTheSeedsCertificatesWithTheirNamesAndKeepsThemOnASecondRun() throws Exception {
        Path dir = tmp.resolve("tls");
        Run first =
                run(
                        "--dir",
                        dir.toString(),
                        "--zone",
                        "proserveau.local",
                        "--porcelain",
                        "docker0=10.0.0.10",
                        "docker1=10.0.0.11",
                        "docker2");
        assertEquals(0, first.rc, first.out);
        assertEquals(
                List.of("ca", "docker0", "docker1", "docker2", "client", "registry"),
                first.out.lines().toList(),
                "what it says it made");
        for (String f :
                List.of(
                        "ca.pem",
                        "docker0-cert.pem",
                        "docker1-cert.pem",
                        "docker2-cert.pem",
                        "cert.pem",
                        "registry-cert.pem")) {
            Run verify =
                    exec(
                            "openssl",
                            "verify",
                            "-CAfile",
                            dir.resolve("ca.pem").toString(),
                            dir.resolve(f).toString());
            assertEquals(0, verify.rc, f + " is signed by the CA: " + verify.out);
        }
        for (String key : List.of("ca-key.pem", "docker0-key.pem", "key.pem", "registry-key.pem")) {
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key))),
                    key + " is readable by its owner only");
        }
        assertEquals(
                "rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)),
                "the folder");

        String docker0 = ext(dir.resolve("docker0-cert.pem"));
        assertTrue(
                docker0.contains("DNS:docker0, DNS:docker0.proserveau.local, IP Address:10.0.0.10"),
                docker0);
        assertTrue(docker0.contains("TLS Web Server Authentication"), docker0);
        assertFalse(
                docker0.contains("localhost"), "no loopback name without --loopback: " + docker0);
        String docker2 = ext(dir.resolve("docker2-cert.pem"));
        assertTrue(docker2.contains("DNS:docker2, DNS:docker2.proserveau.local"), docker2);
        assertFalse(docker2.contains("IP Address"), "no address given, none in it: " + docker2);
        String client = ext(dir.resolve("cert.pem"));
        assertTrue(client.contains("TLS Web Client Authentication"), client);
        String registry = ext(dir.resolve("registry-cert.pem"));
        assertTrue(registry.contains("DNS:registry, DNS:cfgmgr.proserveau.local"), registry);

        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
        byte[] cert = Files.readAllBytes(dir.resolve("docker0-cert.pem"));
        Run second =
                run("--dir", dir.toString(), "docker0=10.0.0.10", "docker1=10.0.0.11", "docker2");
        assertEquals(0, second.rc, second.out);
        assertTrue(second.out.contains("kept the CA and every certificate"), second.out);
        assertTrue(
                java.util.Arrays.equals(ca, Files.readAllBytes(dir.resolve("ca.pem"))), "CA kept");
        assertTrue(
                java.util.Arrays.equals(cert, Files.readAllBytes(dir.resolve("docker0-cert.pem"))),
                "engine certificate kept");
    }

    @Test
    void aBadArgumentIsASentenceAndMakesNothing() throws Exception {
        Path dir = tmp.resolve("bad");
        Run noEngine = run("--dir", dir.toString());
        assertEquals(1, noEngine.rc);
        assertTrue(noEngine.out.contains("name at least one engine"), noEngine.out);
        Run badName = run("--dir", dir.toString(), "Docker_0");
        assertEquals(1, badName.rc);
        assertTrue(badName.out.contains("engine 'Docker_0' is not a host name"), badName.out);
        Run badIp = run("--dir", dir.toString(), "docker0=10.0.0");
        assertEquals(1, badIp.rc);
        assertTrue(badIp.out.contains("'10.0.0' is not an IPv4 address"), badIp.out);
        Run badZone = run("--dir", dir.toString(), "--zone", "local", "docker0");
        assertEquals(1, badZone.rc);
        assertTrue(badZone.out.contains("--zone 'local' is not a DNS name"), badZone.out);
        assertFalse(Files.exists(dir), "nothing made");
    }

    private static String ext(Path cert) throws Exception {
        Run r =
                exec(
                        "openssl",
                        "x509",
                        "-in",
                        cert.toString(),
                        "-noout",
                        "-ext",
                        "subjectAltName,extendedKeyUsage");
        assertEquals(0, r.rc, r.out);
        return r.out;
    }

    private record Run(int rc, String out) {}

    private static Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("dev/create-tls").toString());
        cmd.addAll(List.of(args));
        return exec(cmd.toArray(String[]::new));
    }

    private static Run exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ends: " + String.join(" ", cmd));
        return new Run(p.exitValue(), out);
    }
}
