package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real BIND {@code named} (Debian package {@code bind9}) serving one primary zone on {@code
 * 127.0.0.1:<free port>} (UDP and TCP), with its own directory, a TSIG key and {@code allow-update
 * { key <name>; }}. No control channel, no recursion. {@link #stop()} and {@link #start()} restart
 * it on the same port; {@link #resetZone()} (while stopped) brings back the original zone file and
 * drops the journal, so every dynamic update is gone.
 */
public final class NamedServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final String zone;
    private final String keyName;
    private final String algorithm;
    private final String secret;
    private final int port;
    private final String originalZone;
    private final Path named;
    private final Thread shutdownHook;
    private Process process;
    private int starts;

    private NamedServer(
            Path named, Path dir, String zone, String keyName, String algorithm, int port) {
        this.named = named;
        this.shutdownHook = new Thread(this::close, "close named");
        this.dir = dir;
        this.zone = zone;
        this.keyName = keyName;
        this.algorithm = algorithm;
        this.port = port;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.secret = Base64.getEncoder().encodeToString(key);
        this.originalZone =
                """
                $TTL 300
                @       IN SOA ns1.%1$s. hostmaster.%1$s. ( 1 3600 600 86400 30 )
                @       IN NS  ns1.%1$s.
                ns1     IN A   127.0.0.1
                """
                        .formatted(zone);
    }

    /** Starts named with zone {@code zone} and TSIG key {@code canary-release} (hmac-sha256). */
    public static NamedServer start(String zone) {
        return start(zone, "canary-release", "hmac-sha256");
    }

    /** Starts named with zone {@code zone} updatable with TSIG key {@code keyName}. */
    public static NamedServer start(String zone, String keyName, String algorithm) {
        Path named = Binaries.require("named", "bind9");
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir;
            try {
                dir = Files.createTempDirectory("named");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            NamedServer server = new NamedServer(named, dir, zone, keyName, algorithm, freePort());
            try {
                server.writeFiles();
                server.start();
                Runtime.getRuntime().addShutdownHook(server.shutdownHook);
                return server;
            } catch (IllegalStateException e) {
                // most likely the port was taken between choosing and binding it: try another
                last = e;
                server.close();
            }
        }
        throw last;
    }

    private void writeFiles() {
        try {
            Files.writeString(dir.resolve("tsig.secret"), secret + "\n");
            Files.writeString(
                    dir.resolve("named.conf"),
                    """
                    options {
                        directory "%1$s";
                        listen-on port %2$d { 127.0.0.1; };
                        listen-on-v6 { none; };
                        pid-file "%1$s/named.pid";
                        session-keyfile "%1$s/session.key";
                        managed-keys-directory "%1$s";
                        recursion no;
                        dnssec-validation no;
                        notify no;
                        allow-query { 127.0.0.0/8; };
                        allow-transfer { none; };
                    };
                    controls { };
                    key "%3$s" {
                        algorithm %4$s;
                        secret "%5$s";
                    };
                    zone "%6$s" {
                        type primary;
                        file "%1$s/zone.db";
                        allow-update { key "%3$s"; };
                    };
                    """
                            .formatted(dir, port, keyName, algorithm, secret, zone));
            resetZone();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts (again) on the same port; returns when named serves the zone. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Path log = dir.resolve("named-" + (++starts) + ".log");
        try {
            process =
                    new ProcessBuilder(
                                    named.toString(),
                                    "-g",
                                    "-4",
                                    "-c",
                                    dir.resolve("named.conf").toString())
                            .directory(dir.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + named + ": " + e.getMessage(), e);
        }
        Process p = process;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = read(log);
            if (!p.isAlive()) {
                throw new IllegalStateException(
                        "named exited with " + p.exitValue() + " on port " + port + ":\n" + text);
            }
            // named -g logs a line ending in " running" once every zone is loaded
            if (text.lines().anyMatch(l -> l.endsWith(" running")) && tcpOpen()) {
                return;
            }
            try {
                p.waitFor(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        stop();
        throw new IllegalStateException(
                "named did not start within " + START_TIMEOUT + ":\n" + read(log));
    }

    /** Stops named (SIGTERM, then SIGKILL after 10 s); the zone file and journal stay. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /**
     * Brings back the original zone file (SOA, NS, {@code ns1}) and deletes the journal: every
     * dynamic update is lost. Only while stopped.
     */
    public synchronized void resetZone() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("stop named before resetting its zone");
        }
        try {
            Files.writeString(dir.resolve("zone.db"), originalZone);
            Files.deleteIfExists(dir.resolve("zone.db.jnl"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops, resets the zone to the original file and starts again on the same port. */
    public void restartFromOriginalZone() {
        stop();
        resetZone();
        start();
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>}, the form of the fleet's {@code dns.server}. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public String zone() {
        return zone;
    }

    public String tsigKeyName() {
        return keyName;
    }

    public String tsigAlgorithm() {
        return algorithm;
    }

    /** The base64 TSIG secret. */
    public String tsigSecret() {
        return secret;
    }

    /** A file holding the base64 TSIG secret (the form of the fleet's {@code dns.tsig}). */
    public Path tsigSecretFile() {
        return dir.resolve("tsig.secret");
    }

    public Path directory() {
        return dir;
    }

    /** Everything named logged since its last start. */
    public String log() {
        return read(dir.resolve("named-" + starts + ".log"));
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    private boolean tcpOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** A port free for both TCP and UDP on 127.0.0.1. */
    private static int freePort() {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(false);
                tcp.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = tcp.getLocalPort();
                try (DatagramSocket udp =
                        new DatagramSocket(
                                new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    return port;
                } catch (IOException e) {
                    // UDP side taken: try another
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no port free for both TCP and UDP on 127.0.0.1");
    }
}
