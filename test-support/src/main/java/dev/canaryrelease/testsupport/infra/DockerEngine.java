package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real {@code dockerd} (Debian package docker.io) standing in for one Docker host: its own data
 * and exec roots, unix socket, bridge {@code crbN} on {@code 10.213.N.0/24} and host address {@code
 * 127.213.N.1}, started with {@code --iptables=false --ip-forward=false --ip-masq=false} (the
 * host's firewall and sysctls are never touched) and serving the Docker API over TCP with {@code
 * --tlsverify} on {@code hostAddress():port}. Containers publish their ports on {@link
 * #hostAddress()}. {@link #close()} stops dockerd (and with it its containers), unmounts what it
 * left under its folders and removes the bridge.
 */
public final class DockerEngine implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /**
     * dockerd's environment: every registry connection that is not to 127.0.0.0/8 goes through a
     * proxy on 127.0.0.1:9, where nothing listens, so an engine can never reach Docker Hub (a pull
     * of an unqualified image fails at once, on this machine).
     */
    static final Map<String, String> NO_HUB_ENV =
            Map.of(
                    "HTTP_PROXY", "http://127.0.0.1:9",
                    "HTTPS_PROXY", "http://127.0.0.1:9",
                    "NO_PROXY", "127.0.0.0/8,localhost",
                    "http_proxy", "http://127.0.0.1:9",
                    "https_proxy", "http://127.0.0.1:9",
                    "no_proxy", "127.0.0.0/8,localhost");

    private final String name;
    private final Slot slot;
    private final Path dir;
    private final String bridge;
    private final String hostAddress;
    private final int port;
    private final TlsFiles serverTls;
    private final TlsFiles clientTls;
    private final Path docker;
    private Daemon daemon;
    private final Thread shutdownHook;
    private final Map<String, String> registryAuths = new java.util.TreeMap<>();
    private final boolean usernsRemap;
    private boolean closed;

    private DockerEngine(
            String name,
            Slot slot,
            Path dir,
            String bridge,
            String hostAddress,
            int port,
            TlsFiles serverTls,
            TlsFiles clientTls,
            boolean usernsRemap) {
        this.name = name;
        this.usernsRemap = usernsRemap;
        this.slot = slot;
        this.dir = dir;
        this.bridge = bridge;
        this.hostAddress = hostAddress;
        this.port = port;
        this.serverTls = serverTls;
        this.clientTls = clientTls;
        this.docker = Binaries.require("docker", "docker.io");
        this.shutdownHook = new Thread(this::close, "close docker engine " + name);
    }

    /** Starts an engine named {@code name} with its own CA. */
    public static DockerEngine start(String name) {
        return start(name, null);
    }

    /**
     * Starts an engine named {@code name} whose server and client certificates come from {@code
     * pki} (so several engines share one CA), or from a new CA in its folder when {@code pki} is
     * null.
     */
    public static DockerEngine start(String name, Pki pki) {
        return start(name, pki, false);
    }

    /**
     * Starts an engine named {@code name}, with its own CA, whose containers run in a user
     * namespace ({@code --userns-remap=default}): their root is the unprivileged subordinate uid
     * 100000 of the host's user {@code dockremap}, which dockerd creates on its first start. Such
     * an engine is what build-service requires of a build host: the kernel applies the {@code
     * nproc} ulimit to every build step, root ones included, and a step that breaks out of its
     * container is not the host's root. Every remapped engine of this machine shares that uid, so
     * their containers count against one another's {@code nproc}.
     */
    public static DockerEngine startWithUsernsRemap(String name) {
        return start(name, null, true);
    }

    private static DockerEngine start(String name, Pki pki, boolean usernsRemap) {
        Path dockerd = Binaries.require("dockerd", "docker.io");
        Binaries.require("containerd", "containerd");
        Binaries.require("runc", "runc");
        Path ip = Binaries.require("ip", "iproute2");
        Slot slot = Slot.acquire();
        int n = slot.index();
        String bridge = "crb" + n;
        String hostAddress = "127.213." + n + ".1";
        Path dir;
        try {
            // a JVM killed before close() left its engine running in this slot: stop it now
            slot.leftoverDir().ifPresent(DockerEngine::removeLeftover);
            // short path: containerd's sockets live under the exec root (108-byte limit)
            dir = Files.createTempDirectory(Path.of("/tmp"), "crd" + n + "-");
            slot.record(dir);
        } catch (IOException | RuntimeException e) {
            slot.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        Pki ca = pki != null ? pki : Pki.create(dir.resolve("pki"));
        TlsFiles server = ca.serverCert(name, hostAddress);
        TlsFiles client = ca.clientCert();
        DockerEngine engine =
                new DockerEngine(
                        name,
                        slot,
                        dir,
                        bridge,
                        hostAddress,
                        FreePorts.pickOn(hostAddress),
                        server,
                        client,
                        usernsRemap);
        Runtime.getRuntime().addShutdownHook(engine.shutdownHook);
        try {
            engine.startDaemon(dockerd, ip, n);
            return engine;
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    private static void removeLeftover(Path dir) {
        HostCleanup.killProcessesNaming(dir);
        HostCleanup.unmountAll(dir);
        HostCleanup.deleteTree(dir);
    }

    private void startDaemon(Path dockerd, Path ip, int n) {
        // a bridge left by a crashed run in this slot is ours: remove it first
        Exec.run(ip.toString(), "link", "del", bridge);
        Exec.run(ip.toString(), "link", "add", bridge, "type", "bridge").orThrow();
        Exec.run(ip.toString(), "addr", "add", "10.213." + n + ".1/24", "dev", bridge).orThrow();
        Exec.run(ip.toString(), "link", "set", bridge, "up").orThrow();
        try {
            Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(dir.resolve("exec"));
            Files.createDirectories(dir.resolve("config"));
            if (usernsRemap) {
                // the remapped root must traverse the data root's parents (o+x), and no more
                for (Path p : List.of(dir, dir.resolve("data"))) {
                    Files.setPosixFilePermissions(
                            p,
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd =
                new ArrayList<>(
                        List.of(
                                dockerd.toString(),
                                "--data-root",
                                dir.resolve("data").toString(),
                                "--exec-root",
                                dir.resolve("exec").toString(),
                                "--pidfile",
                                dir.resolve("dockerd.pid").toString(),
                                "-H",
                                "unix://" + unixSocket(),
                                "-H",
                                "tcp://" + hostAddress + ":" + port,
                                "--tlsverify",
                                "--tlscacert",
                                serverTls.ca().toString(),
                                "--tlscert",
                                serverTls.cert().toString(),
                                "--tlskey",
                                serverTls.key().toString(),
                                "--bridge",
                                bridge,
                                "--iptables=false",
                                "--ip6tables=false",
                                "--ip-forward=false",
                                "--ip-masq=false",
                                "--userland-proxy=true",
                                "--shutdown-timeout",
                                "5",
                                "--storage-driver",
                                "overlay2",
                                "--config-file",
                                writeConfig().toString()));
        if (usernsRemap) {
            cmd.add("--userns-remap=default");
        }
        daemon = Daemon.start("dockerd " + name, cmd, dir.resolve("dockerd.log"), NO_HUB_ENV);
        daemon.awaitReady("API on " + unixSocket(), START_TIMEOUT, this::pingUnix);
        daemon.awaitReady("TLS API on " + hostAddress + ":" + port, START_TIMEOUT, this::tcpOpen);
    }

    private Path writeConfig() {
        Path config = dir.resolve("daemon.json");
        try {
            // no registry mirrors, no default pulls: only 127.0.0.0/8 registries are ever used
            Files.writeString(config, "{}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return config;
    }

    private boolean pingUnix() {
        if (!Files.exists(unixSocket())) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(unixSocket()));
            ch.write(
                    ByteBuffer.wrap(
                            "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
                                    .getBytes(StandardCharsets.US_ASCII)));
            InputStream in = Channels.newInputStream(ch);
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return response.startsWith("HTTP/1.") && response.contains(" 200 ");
        } catch (IOException e) {
            return false;
        }
    }

    private boolean tcpOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hostAddress, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether its containers run in a user namespace ({@link #startWithUsernsRemap}). */
    public boolean usernsRemap() {
        return usernsRemap;
    }

    /** The name given at start (the host it stands for, e.g. docker0). */
    public String name() {
        return name;
    }

    /** The unique 127.x.y.z address of this engine: its TLS API and published ports live there. */
    public String hostAddress() {
        return hostAddress;
    }

    /** The TLS API port on {@link #hostAddress()}. */
    public int port() {
        return port;
    }

    /** {@code tcp://127.x.y.z:port} (TLS with client certificates). */
    public String tcpEndpoint() {
        return "tcp://" + hostAddress + ":" + port;
    }

    /** The client certificate, key and CA to reach {@link #tcpEndpoint()}. */
    public TlsFiles clientTls() {
        return clientTls;
    }

    /** The engine's unix socket (no TLS), e.g. for an sshd that fronts it. */
    public Path unixSocket() {
        return dir.resolve("docker.sock");
    }

    /** The bridge this engine's containers attach to. */
    public String bridge() {
        return bridge;
    }

    /** The engine's folder (data and exec roots, log, certificates). */
    public Path dir() {
        return dir;
    }

    /** dockerd's log. */
    public Path log() {
        return dir.resolve("dockerd.log");
    }

    /** dockerd's pid. */
    public long pid() {
        return daemon.pid();
    }

    /**
     * Runs the docker CLI against this engine over TCP with {@code --tlsverify} and the client
     * certificate (legacy builder, a private CLI config folder).
     */
    public ExecResult docker(String... args) {
        return docker(Exec.DEFAULT_TIMEOUT, args);
    }

    /** {@link #docker(String...)} with a timeout. */
    public ExecResult docker(Duration timeout, String... args) {
        return Exec.run(cli(args), cliEnv(), null, timeout);
    }

    /** The docker CLI's command line against this engine over TCP with its client certificate. */
    private List<String> cli(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(docker.toString());
        cmd.addAll(
                List.of(
                        "--tlsverify",
                        "--tlscacert",
                        clientTls.ca().toString(),
                        "--tlscert",
                        clientTls.cert().toString(),
                        "--tlskey",
                        clientTls.key().toString(),
                        "-H",
                        tcpEndpoint()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Starts the docker CLI against this engine as {@link #docker(String...)} does, without waiting
     * for it (a stream such as {@code docker events}); its output is read from the process, stderr
     * merged into it. The caller ends it.
     */
    public Process dockerInBackground(String... args) {
        List<String> cmd = cli(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(cliEnv());
        try {
            return pb.start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot start " + cmd, e);
        }
    }

    /**
     * Writes (or, with {@code basicAuth} null, removes) the CLI's credentials for {@code registry}
     * in this engine's private CLI config ({@code <dir>/config/config.json}, mode 0600), the file
     * {@code docker login} writes: the CLI sends them with every push and pull to that registry.
     */
    synchronized void storeRegistryAuth(String registry, String basicAuth) {
        if (basicAuth == null) {
            registryAuths.remove(registry);
        } else {
            registryAuths.put(registry, basicAuth.substring("Basic ".length()));
        }
        StringBuilder json = new StringBuilder("{\"auths\":{");
        String sep = "";
        for (Map.Entry<String, String> e : registryAuths.entrySet()) {
            json.append(sep)
                    .append('"')
                    .append(e.getKey())
                    .append("\":{\"auth\":\"")
                    .append(e.getValue())
                    .append("\"}");
            sep = ",";
        }
        json.append("}}\n");
        try {
            Path config = Files.createDirectories(dir.resolve("config")).resolve("config.json");
            Files.writeString(config, json);
            Pki.privateMode(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Environment for a docker CLI aimed at this engine (used by the launchers). */
    Map<String, String> cliEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("DOCKER_CONFIG", dir.resolve("config").toString());
        env.put("DOCKER_BUILDKIT", "0");
        env.put("DOCKER_CLI_HINTS", "false");
        env.put("DOCKER_HOST", "");
        env.put("DOCKER_CONTEXT", "");
        env.put("DOCKER_TLS_VERIFY", "");
        env.put("DOCKER_CERT_PATH", "");
        return env;
    }

    /** Stops dockerd and its containers, unmounts leftovers, removes the bridge and the folder. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
        try {
            if (daemon != null && !daemon.stop(Duration.ofSeconds(30))) {
                HostCleanup.killProcessesNaming(dir);
            }
            // containerd and its shims exit with dockerd; kill any that did not
            HostCleanup.killProcessesNaming(dir.resolve("exec"));
            HostCleanup.unmountAll(dir);
            Exec.run("ip", "link", "del", bridge);
            HostCleanup.deleteTree(dir);
            slot.clear();
        } finally {
            slot.close();
        }
    }

    @Override
    public String toString() {
        return "DockerEngine[" + name + " " + tcpEndpoint() + " bridge " + bridge + "]";
    }
}
