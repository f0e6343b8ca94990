package dev.canaryrelease.testsupport.infra;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;

/**
 * A real HAProxy ({@code haproxy}, Debian package {@code haproxy}) on 127.0.0.1 with its own
 * temporary folder: one HTTP front end on a free port, one backend of the given servers with HTTP
 * health checks ({@code check inter 200 rise 2 fall 2} unless {@link Spec#checks} says otherwise,
 * {@code timeout check 1s}), {@code option redispatch 1}, {@code retries 3}, {@code retry-on
 * all-retryable-errors}, {@code slowstart}, and the Runtime API (level admin) on a unix socket and
 * on {@code ipv4@127.0.0.1:<free port>}. The global server-state-file is loaded at every start; it
 * is written only by {@link #saveServerState()}.
 *
 * <p>{@link #reload()} does what a package's reload does: a new process with the same configuration
 * that takes over the listening sockets ({@code -x}) and soft-stops the old one ({@code -sf
 * <oldpid>}).
 */
public final class HaproxyServer implements AutoCloseable {
    private static final Pattern PID = Pattern.compile("(?m)^Pid: (\\d+)");

    /** One server of the backend: its name and where it listens. */
    public record Server(String name, String host, int port) {}

    /** What to run. */
    public static final class Spec {
        private final String backend;
        private final List<Server> servers = new ArrayList<>();
        private String healthPath = "/health";
        private String routeHeader;
        private String slowstart = "1s";
        private String checks = "inter 200 rise 2 fall 2";
        private String serverTimeout = "30s";
        private String logTarget;
        private String logFormat;

        private Spec(String backend) {
            this.backend = backend;
        }

        /** A backend named {@code backend}. */
        public static Spec backend(String backend) {
            return new Spec(backend);
        }

        public Spec server(String name, String host, int port) {
            servers.add(new Server(name, host, port));
            return this;
        }

        public Spec healthPath(String path) {
            this.healthPath = path;
            return this;
        }

        /**
         * Requests carrying this header with a server's name go to that server while it is up
         * ({@code use-server}), so a test can pin a long-lived request to one server.
         */
        public Spec routeHeader(String header) {
            this.routeHeader = header;
            return this;
        }

        public Spec slowstart(String duration) {
            this.slowstart = duration;
            return this;
        }

        /**
         * The servers' check settings ({@code default-server check <checks>}), {@code inter 200
         * rise 2 fall 2} unless set.
         */
        public Spec checks(String checks) {
            this.checks = checks;
            return this;
        }

        public String checksValue() {
            return checks;
        }

        public Spec serverTimeout(String duration) {
            this.serverTimeout = duration;
            return this;
        }

        /**
         * Sends one syslog line per request to {@code target} (e.g. {@code 127.0.0.1:5140}, UDP) in
         * {@code format} (a {@code log-format}), as dev/up's haproxy.cfg does for lb-service's
         * analysis.
         */
        public Spec log(String target, String format) {
            this.logTarget = target;
            this.logFormat = format;
            return this;
        }

        public String logTargetValue() {
            return logTarget;
        }

        public String logFormatValue() {
            return logFormat;
        }

        // Public accessors: a test resource may load this class and HaproxyServer in different
        // class loaders (Quarkus' and the application's), where private nestmate access fails.
        public String backendName() {
            return backend;
        }

        public List<Server> servers() {
            return List.copyOf(servers);
        }

        public String healthPathValue() {
            return healthPath;
        }

        public String routeHeaderValue() {
            return routeHeader;
        }

        public String slowstartValue() {
            return slowstart;
        }

        public String serverTimeoutValue() {
            return serverTimeout;
        }
    }

    private final Path haproxy;
    private final Spec spec;
    private final Path dir;
    private final Path config;
    private final Path socket;
    private final Path stateFile;
    private final int frontendPort;
    private final int statsPort;
    private final List<Process> processes = new ArrayList<>();
    private Process current;
    private int generation;

    private HaproxyServer(Spec spec) throws IOException {
        this.haproxy = Binaries.require("haproxy", "haproxy");
        this.spec = spec;
        this.dir = Files.createTempDirectory("haproxy");
        this.config = dir.resolve("haproxy.cfg");
        this.socket = dir.resolve("admin.sock");
        this.stateFile = dir.resolve("server-state");
        this.frontendPort = FreePorts.pick();
        this.statsPort = FreePorts.pick();
        Files.writeString(stateFile, "1\n");
        Files.writeString(config, config());
    }

    /** Starts HAProxy and waits until its Runtime API answers. */
    public static HaproxyServer start(Spec spec) {
        try {
            HaproxyServer h = new HaproxyServer(spec);
            h.launch(null);
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String config() {
        StringBuilder b = new StringBuilder();
        b.append("global\n")
                .append("  maxconn 4096\n")
                .append("  stats socket ")
                .append(socket)
                .append(" mode 600 level admin expose-fd listeners\n")
                .append("  stats socket ipv4@127.0.0.1:")
                .append(statsPort)
                .append(" level admin\n")
                .append("  stats timeout 30s\n")
                .append("  hard-stop-after 30s\n")
                .append("  server-state-file ")
                .append(stateFile)
                .append("\n");
        if (spec.logTargetValue() != null) {
            b.append("  log ").append(spec.logTargetValue()).append(" local0 info\n");
        }
        b.append("\n")
                .append("defaults\n")
                .append("  mode http\n")
                .append("  load-server-state-from-file global\n")
                .append("  timeout connect 1s\n")
                .append("  timeout client 30s\n")
                .append("  timeout server ")
                .append(spec.serverTimeoutValue())
                .append("\n")
                .append("  timeout check 1s\n")
                .append("  timeout http-request 10s\n")
                .append("  timeout http-keep-alive 10s\n")
                .append("  option redispatch 1\n")
                .append("  retries 3\n")
                .append("  retry-on all-retryable-errors\n")
                // a reload answers an idle keep-alive client's next request with "Connection:
                // close" rather than closing under it (what dev/up's haproxy.cfg does)
                .append("  option idle-close-on-response\n");
        if (spec.logTargetValue() != null) {
            b.append("  log global\n")
                    .append("  log-format \"")
                    .append(spec.logFormatValue())
                    .append("\"\n");
        }
        b.append("\n")
                .append("frontend fe\n")
                .append("  bind 127.0.0.1:")
                .append(frontendPort)
                .append("\n")
                .append("  default_backend ")
                .append(spec.backendName())
                .append("\n\n")
                .append("backend ")
                .append(spec.backendName())
                .append("\n")
                .append("  balance roundrobin\n")
                .append("  option httpchk GET ")
                .append(spec.healthPathValue())
                .append("\n")
                .append("  http-check expect status 200\n")
                .append("  default-server check ")
                .append(spec.checksValue())
                .append(" slowstart ")
                .append(spec.slowstartValue())
                .append("\n");
        if (spec.routeHeaderValue() != null) {
            for (Server s : spec.servers()) {
                b.append("  use-server ")
                        .append(s.name())
                        .append(" if { req.hdr(")
                        .append(spec.routeHeaderValue())
                        .append(") -m str ")
                        .append(s.name())
                        .append(" }\n");
            }
        }
        for (Server s : spec.servers()) {
            b.append("  server ")
                    .append(s.name())
                    .append(' ')
                    .append(s.host())
                    .append(':')
                    .append(s.port())
                    .append('\n');
        }
        return b.toString();
    }

    private synchronized void launch(Long oldPid) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of(haproxy.toString(), "-db", "-f", config.toString()));
        if (oldPid != null) {
            cmd.addAll(List.of("-x", socket.toString(), "-sf", Long.toString(oldPid)));
        }
        Path log = dir.resolve("haproxy-" + (generation++) + ".log");
        Process p =
                new ProcessBuilder(cmd)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        processes.add(p);
        current = p;
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(
                            () -> {
                                if (!p.isAlive()) {
                                    throw new IllegalStateException(
                                            "haproxy exited with "
                                                    + p.exitValue()
                                                    + ": "
                                                    + Files.readString(log));
                                }
                                return pidOrZero() == p.pid();
                            });
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "haproxy did not answer on " + socket + ": " + readQuietly(log), e);
        }
    }

    private long pidOrZero() {
        try {
            Matcher m = PID.matcher(command("show info"));
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** Reloads as {@code haproxy -x <socket> -sf <oldpid>} with the same configuration. */
    public void reload() {
        try {
            launch(current.pid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code show servers state} to the server-state-file (what a careful reload does). */
    public void saveServerState() {
        try {
            Files.writeString(stateFile, command("show servers state"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the running process (the folder and ports stay, {@link #restart()} starts again). */
    public synchronized void stop() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    /** Starts again after {@link #stop()}, same configuration and ports. */
    public void restart() {
        try {
            launch(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one Runtime API command on the unix socket and returns the answer. */
    public String command(String command) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            InputStream in = Channels.newInputStream(ch);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("haproxy " + socket + ": " + command, e);
        }
    }

    /** Sends one Runtime API command on the TCP socket. */
    public String commandTcp(String command) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", statsPort), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            s.getInputStream().transferTo(buf);
            return buf.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("haproxy 127.0.0.1:" + statsPort + ": " + command, e);
        }
    }

    /**
     * The {@code status} column of {@code show stat} per server of the backend (UP, DOWN, MAINT,
     * DRAIN, "DOWN 1/2"...).
     */
    public Map<String, String> serverStatus() {
        return column("status");
    }

    /** One column of {@code show stat} (e.g. {@code scur}, {@code stot}) per server. */
    public Map<String, String> column(String name) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] lines = command("show stat").split("\n");
        if (lines.length == 0) {
            return out;
        }
        List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(",", -1));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        int col = header.indexOf(name);
        if (col < 0) {
            throw new IllegalArgumentException("show stat has no column " + name);
        }
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",", -1);
            if (f.length > col
                    && f[px].equals(spec.backendName())
                    && !f[sv].equals("BACKEND")
                    && !f[sv].equals("FRONTEND")) {
                out.put(f[sv], f[col]);
            }
        }
        return out;
    }

    /** The running process id (what {@code show info} says). */
    public long pid() {
        return current.pid();
    }

    public String backend() {
        return spec.backendName();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String frontendUrl() {
        return "http://127.0.0.1:" + frontendPort;
    }

    public int frontendPort() {
        return frontendPort;
    }

    public Path unixSocket() {
        return socket;
    }

    /** The fleet's {@code runtimeApi} for the unix socket: {@code unix:///...}. */
    public String unixRuntimeApi() {
        return "unix://" + socket;
    }

    /** The fleet's {@code runtimeApi} for the TCP socket: {@code ipv4@127.0.0.1:port}. */
    public String tcpRuntimeApi() {
        return "ipv4@127.0.0.1:" + statsPort;
    }

    public Path configFile() {
        return config;
    }

    public Path directory() {
        return dir;
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
