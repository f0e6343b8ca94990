package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real {@code sshd} (Debian package openssh-server) with its own config, host key and port on
 * 127.0.0.1, accepting only a generated ed25519 client key for {@code root}. {@link #knownHosts()}
 * pins the host key for {@code [127.0.0.1]:port}, so clients verify it (StrictHostKeyChecking).
 * Started with a {@link DockerEngine}, every session gets {@code DOCKER_HOST} set to that engine's
 * unix socket: {@code ssh root@... docker ps} lists that engine's containers, and the socket can
 * also be reached through streamlocal forwarding.
 */
public final class SshServer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final int port;
    private final Thread shutdownHook;
    private Daemon daemon;
    private boolean closed;

    private SshServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.shutdownHook = new Thread(this::close, "close sshd");
    }

    /** An sshd without a Docker engine behind it. */
    public static SshServer start() {
        return start(null);
    }

    /** An sshd whose sessions run the docker CLI against {@code engine} (nullable). */
    public static SshServer start(DockerEngine engine) {
        Path sshd = Binaries.require("sshd", "openssh-server");
        Path keygen = Binaries.require("ssh-keygen", "openssh-client");
        Path dir;
        try {
            dir = Files.createTempDirectory("canary-sshd-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SshServer s = new SshServer(dir, FreePorts.pick());
        Runtime.getRuntime().addShutdownHook(s.shutdownHook);
        try {
            s.setUp(sshd, keygen, engine);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void setUp(Path sshd, Path keygen, DockerEngine engine) {
        try {
            // the privilege separation folder sshd insists on (what the Debian service creates)
            Path privsep = Path.of("/run/sshd");
            if (!Files.isDirectory(privsep)) {
                Files.createDirectories(privsep);
            }
            Exec.run(
                            keygen.toString(),
                            "-q",
                            "-t",
                            "ed25519",
                            "-N",
                            "",
                            "-C",
                            "canary-sshd-host",
                            "-f",
                            hostKey().toString())
                    .orThrow();
            Exec.run(
                            keygen.toString(),
                            "-q",
                            "-t",
                            "ed25519",
                            "-N",
                            "",
                            "-C",
                            "canary-release-client",
                            "-f",
                            privateKey().toString())
                    .orThrow();
            Files.copy(
                    privateKey().resolveSibling("id_ed25519.pub"), dir.resolve("authorized_keys"));
            String hostPub = Files.readString(dir.resolve("ssh_host_ed25519_key.pub")).trim();
            String[] parts = hostPub.split(" ");
            Files.writeString(
                    knownHosts(), "[127.0.0.1]:" + port + " " + parts[0] + " " + parts[1] + "\n");
            List<String> config = new ArrayList<>();
            config.add("Port " + port);
            config.add("ListenAddress 127.0.0.1");
            config.add("HostKey " + hostKey());
            config.add("PidFile " + dir.resolve("sshd.pid"));
            config.add("AuthorizedKeysFile " + dir.resolve("authorized_keys"));
            config.add("AllowUsers root");
            config.add("PermitRootLogin prohibit-password");
            config.add("PubkeyAuthentication yes");
            config.add("PasswordAuthentication no");
            config.add("KbdInteractiveAuthentication no");
            config.add("UsePAM no");
            config.add("StrictModes no");
            config.add("PrintMotd no");
            config.add("UseDNS no");
            config.add("AllowTcpForwarding local");
            config.add("AllowStreamLocalForwarding local");
            config.add("X11Forwarding no");
            config.add("MaxStartups 50:30:100");
            config.add("MaxSessions 50");
            config.add("LogLevel INFO");
            config.add("Subsystem sftp internal-sftp");
            if (engine != null) {
                config.add(
                        "SetEnv DOCKER_HOST=unix://"
                                + engine.unixSocket()
                                + " DOCKER_BUILDKIT=0 DOCKER_CONFIG="
                                + dir.resolve("docker-config"));
                Files.createDirectories(dir.resolve("docker-config"));
            }
            Files.write(dir.resolve("sshd_config"), config, StandardCharsets.UTF_8);
            Exec.run(sshd.toString(), "-t", "-f", dir.resolve("sshd_config").toString()).orThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        daemon =
                Daemon.start(
                        "sshd",
                        List.of(
                                sshd.toString(),
                                "-D",
                                "-e",
                                "-f",
                                dir.resolve("sshd_config").toString()),
                        dir.resolve("sshd.log"),
                        Map.of());
        daemon.awaitReady("port " + port, START_TIMEOUT, this::bannerReceived);
    }

    private boolean bannerReceived() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            s.setSoTimeout(1000);
            byte[] buf = new byte[4];
            return s.getInputStream().readNBytes(buf, 0, 4) == 4
                    && new String(buf, StandardCharsets.US_ASCII).equals("SSH-");
        } catch (IOException e) {
            return false;
        }
    }

    private Path hostKey() {
        return dir.resolve("ssh_host_ed25519_key");
    }

    /** {@code 127.0.0.1}. */
    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** {@code root}. */
    public String user() {
        return "root";
    }

    /** The client's private key (OpenSSH ed25519, mode 0600), authorised for {@link #user()}. */
    public Path privateKey() {
        return dir.resolve("id_ed25519");
    }

    /** A known_hosts file pinning this server's host key for {@code [127.0.0.1]:port}. */
    public Path knownHosts() {
        return dir.resolve("known_hosts");
    }

    /** sshd's log. */
    public Path log() {
        return dir.resolve("sshd.log");
    }

    /**
     * Runs {@code remoteCommand} with the OpenSSH client, host key checked against {@link
     * #knownHosts()}.
     */
    public ExecResult ssh(String... remoteCommand) {
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                Binaries.require("ssh", "openssh-client").toString(),
                                "-i",
                                privateKey().toString(),
                                "-p",
                                String.valueOf(port),
                                "-o",
                                "UserKnownHostsFile=" + knownHosts(),
                                "-o",
                                "StrictHostKeyChecking=yes",
                                "-o",
                                "IdentitiesOnly=yes",
                                "-o",
                                "BatchMode=yes",
                                "-o",
                                "ConnectTimeout=10",
                                "-F",
                                "/dev/null",
                                user() + "@" + host()));
        cmd.addAll(List.of(remoteCommand));
        return Exec.run(cmd, Map.of(), null, Exec.DEFAULT_TIMEOUT);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the hook is running
        }
        if (daemon != null) {
            daemon.stop(Duration.ofSeconds(5));
        }
        HostCleanup.deleteTree(dir);
    }
}
