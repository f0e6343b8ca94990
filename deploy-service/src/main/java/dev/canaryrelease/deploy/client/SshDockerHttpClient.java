package dev.canaryrelease.deploy.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

import com.github.dockerjava.transport.DockerHttpClient;

import dev.canaryrelease.fleet.Fleet;

import jdk.net.ExtendedSocketOptions;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.DisconnectReason;
import net.schmizz.sshj.common.SSHException;
import net.schmizz.sshj.common.SSHPacket;
import net.schmizz.sshj.connection.Connection;
import net.schmizz.sshj.connection.channel.OpenFailException;
import net.schmizz.sshj.connection.channel.direct.AbstractDirectChannel;
import net.schmizz.sshj.connection.channel.direct.DirectConnection;
import net.schmizz.sshj.transport.TransportException;
import net.schmizz.sshj.userauth.UserAuthException;

/**
 * The transport of the {@code ssh} driver: the Docker Engine HTTP API through an SSH connection
 * (sshj), so the driver shares {@link DockerApiHost}'s docker-java code. One authenticated
 * connection per host, its host key checked against the fleet's known_hosts file (never accepted
 * blindly), reopened when it dropped. Every request gets a fresh channel to the engine: an OpenSSH
 * {@code direct-streamlocal@openssh.com} channel to a {@code unix://} socket (the default {@code
 * unix:///var/run/docker.sock}, as {@code docker -H ssh://} uses), or a {@code direct-tcpip}
 * channel to a {@code tcp://} endpoint as the remote host sees it (plain HTTP inside the tunnel).
 * One HTTP/1.1 request per channel ({@code Connection: close}); the response body streams (pull
 * progress, logs) and closing the response closes the channel. Hijacked (attach) connections are
 * not supported.
 */
public final class SshDockerHttpClient implements DockerHttpClient {
    /** What {@code docker -H ssh://host} talks to when nothing else is said. */
    static final String DEFAULT_ENDPOINT = "unix:///var/run/docker.sock";

    private static final int MAX_HEAD = 64 * 1024;

    /**
     * Closes the channels whose engine went quiet for longer than the call timeout (sshj's channel
     * reads wait without a limit). One daemon thread for every client: a close waits for the
     * server's answer at most the connect timeout.
     */
    private static final ScheduledExecutorService WATCHDOG = watchdog();

    private final Fleet.Ssh target;
    private final String endpoint;
    private final String socketPath;
    private final String tcpHost;
    private final int tcpPort;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private SSHClient ssh;
    private boolean closed;

    /**
     * @param endpoint the engine as the remote host sees it ({@code unix:///path} or {@code
     *     tcp://host:port}); null or blank for {@value #DEFAULT_ENDPOINT}
     */
    public SshDockerHttpClient(
            Fleet.Ssh target, String endpoint, Duration connectTimeout, Duration callTimeout) {
        this.target = target;
        this.endpoint = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
        if (this.endpoint.startsWith("unix://")) {
            this.socketPath = this.endpoint.substring("unix://".length());
            this.tcpHost = null;
            this.tcpPort = -1;
        } else if (this.endpoint.startsWith("tcp://")) {
            URI u = URI.create(this.endpoint);
            if (u.getHost() == null || u.getPort() < 0) {
                throw new IllegalArgumentException(
                        "ssh driver: endpoint " + this.endpoint + " needs tcp://host:port");
            }
            this.socketPath = null;
            this.tcpHost = u.getHost();
            this.tcpPort = u.getPort();
        } else {
            throw new IllegalArgumentException(
                    "ssh driver: endpoint "
                            + this.endpoint
                            + " is neither unix:///path nor tcp://host:port");
        }
    }

    /** The engine as the remote host sees it ({@code unix:///...} or {@code tcp://...}). */
    public String endpoint() {
        return endpoint;
    }

    /** {@code ssh root@127.0.0.12:2222 → unix:///var/run/docker.sock}. */
    public String describe() {
        return sshTarget() + " → " + endpoint;
    }

    private String sshTarget() {
        return "ssh " + target.user() + "@" + target.host() + ":" + target.port();
    }

    // --- the SSH connection ---------------------------------------------------------------------

    /** The authenticated connection, opened (again) if there is none. */
    synchronized SSHClient connection() throws IOException {
        if (closed) throw new IOException(sshTarget() + ": client closed");
        if (ssh != null && ssh.isConnected() && ssh.isAuthenticated()) return ssh;
        drop(ssh);
        ssh = null;
        SSHClient c = new SSHClient();
        try {
            c.loadKnownHosts(target.knownHosts().toFile());
            c.setSocketFactory(new PromptAckSocketFactory());
            c.setConnectTimeout((int) connectTimeout.toMillis());
            // key exchange and authentication; the socket's own read timeout is not used by sshj
            c.getTransport().setTimeoutMs((int) callTimeout.toMillis());
            c.connect(target.host(), target.port());
            // opening and closing a channel (sshd connecting to the engine's socket)
            c.getConnection().setTimeoutMs((int) connectTimeout.toMillis());
            c.authPublickey(target.user(), c.loadKeys(target.privateKey().toString()));
        } catch (IOException | RuntimeException e) {
            drop(c);
            throw connectFailure(e);
        }
        ssh = c;
        return c;
    }

    private IOException connectFailure(Exception e) {
        String why;
        if (e instanceof TransportException t
                && t.getDisconnectReason() == DisconnectReason.HOST_KEY_NOT_VERIFIABLE) {
            why = "host key not accepted by known_hosts " + target.knownHosts();
        } else if (e instanceof UserAuthException) {
            why =
                    "authentication as "
                            + target.user()
                            + " with key "
                            + target.privateKey()
                            + " refused";
        } else if (e instanceof ConnectException
                || e instanceof NoRouteToHostException
                || e instanceof UnknownHostException
                || e instanceof SocketTimeoutException) {
            why = "cannot connect to sshd";
        } else {
            why = "connection failed";
        }
        return new IOException(sshTarget() + ": " + why + ": " + message(e), e);
    }

    private static void drop(SSHClient c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException e) {
            // the connection is gone either way
        }
    }

    /**
     * Sockets that acknowledge what they receive at once. sshd leaves Nagle on for connections
     * without an interactive session, so each small packet it sends right after another (EOF then
     * CLOSE, the last chunk of a response) waits for the ACK of the previous one; Linux delays that
     * ACK ~40 ms in a request/response exchange. Re-arming TCP_QUICKACK after each read (it does
     * not stick) makes a request cost its round trips instead of 40 ms more.
     */
    static final class PromptAckSocketFactory extends SocketFactory {
        @Override
        public Socket createSocket() throws SocketException {
            return new PromptAckSocket();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return connected(new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort)
                throws IOException {
            return connected(new InetSocketAddress(host, port), local, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return connected(new InetSocketAddress(host, port));
        }

        @Override
        public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
                throws IOException {
            return connected(new InetSocketAddress(host, port), local, localPort);
        }

        private Socket connected(InetSocketAddress to, InetAddress local, int localPort)
                throws IOException {
            Socket s = createSocket();
            s.bind(new InetSocketAddress(local, localPort));
            s.connect(to);
            return s;
        }

        private Socket connected(InetSocketAddress to) throws IOException {
            Socket s = createSocket();
            s.connect(to);
            return s;
        }
    }

    static final class PromptAckSocket extends Socket {
        private final boolean quickAck;

        PromptAckSocket() throws SocketException {
            setTcpNoDelay(true);
            quickAck = supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return new FilterInputStream(super.getInputStream()) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (quickAck && n > 0) setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
                    return n;
                }
            };
        }
    }

    /** Forgets {@code c} if it is still the current connection (it failed). */
    private synchronized void forget(SSHClient c) {
        if (ssh == c) {
            drop(c);
            ssh = null;
        }
    }

    /** A channel to the engine; a connection that dropped since the last call is reopened once. */
    private AbstractDirectChannel openChannel() throws IOException {
        SSHClient c = connection();
        try {
            return openChannel(c);
        } catch (OpenFailException e) {
            throw openFailure(e);
        } catch (IOException e) {
            // the transport died under a connection we thought open: a new one, once (safe,
            // nothing was sent to the engine yet)
            forget(c);
            try {
                return openChannel(connection());
            } catch (OpenFailException again) {
                throw openFailure(again);
            }
        }
    }

    private AbstractDirectChannel openChannel(SSHClient c) throws IOException {
        if (socketPath != null) {
            StreamLocalChannel ch = new StreamLocalChannel(c.getConnection(), socketPath);
            ch.open();
            return ch;
        }
        TcpChannel ch = new TcpChannel(c.getConnection(), tcpHost, tcpPort);
        ch.open();
        return ch;
    }

    private IOException openFailure(OpenFailException e) {
        // sshd says little ("open failed"): name the likely causes
        String what =
                socketPath != null
                        ? "the Docker socket "
                                + socketPath
                                + " through "
                                + sshTarget()
                                + ": "
                                + message(e)
                                + " (no socket there, or sshd does not allow"
                                + " AllowStreamLocalForwarding)"
                        : "the Docker engine "
                                + tcpHost
                                + ":"
                                + tcpPort
                                + " through "
                                + sshTarget()
                                + ": "
                                + message(e)
                                + " (nothing listening there, or sshd does not allow"
                                + " AllowTcpForwarding)";
        return new IOException("cannot reach " + what, e);
    }

    /**
     * Ends a channel by sending CHANNEL_CLOSE without waiting for the server's (sshj's {@code
     * close()} waits): the response is complete by then, framed by its length or its chunks, so
     * waiting would only add a round trip to every request. sshj forgets the channel when the
     * server's CLOSE arrives.
     */
    interface Closing {
        void closeWithoutWaiting() throws IOException;
    }

    /**
     * OpenSSH's {@code direct-streamlocal@openssh.com}: a channel to a unix socket on the remote
     * host (what {@code ssh -L port:/path} opens), allowed by {@code AllowStreamLocalForwarding}.
     */
    static final class StreamLocalChannel extends AbstractDirectChannel implements Closing {
        private final String socketPath;

        StreamLocalChannel(Connection conn, String socketPath) {
            super(conn, "direct-streamlocal@openssh.com");
            this.socketPath = socketPath;
        }

        @Override
        protected SSHPacket buildOpenReq() {
            // socket path, reserved string, reserved uint32 (OpenSSH PROTOCOL, section 2.4)
            return super.buildOpenReq().putString(socketPath).putString("").putUInt32(0);
        }

        @Override
        public void closeWithoutWaiting() throws IOException {
            if (isOpen()) sendClose();
        }
    }

    /** {@code direct-tcpip} to the engine's TCP port, as the remote host sees it. */
    static final class TcpChannel extends DirectConnection implements Closing {
        TcpChannel(Connection conn, String host, int port) {
            super(conn, host, port);
        }

        @Override
        public void closeWithoutWaiting() throws IOException {
            if (isOpen()) sendClose();
        }
    }

    // --- one request ----------------------------------------------------------------------------

    @Override
    public Response execute(Request request) {
        if (request.hijackedInput() != null || hasHeader(request.headers(), "Upgrade")) {
            throw new UnsupportedOperationException(
                    "ssh driver: hijacked (attach) connections are not supported: "
                            + request.method()
                            + " "
                            + request.path());
        }
        AbstractDirectChannel ch;
        try {
            ch = openChannel();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
        Guard guard = new Guard(ch);
        try {
            guard.run(() -> writeRequest(ch.getOutputStream(), request));
            InputStream in = new BufferedInputStream(guard.input(ch.getInputStream()), 16 * 1024);
            Head head = readHead(in);
            boolean noBody =
                    "HEAD".equals(request.method())
                            || head.status() / 100 == 1
                            || head.status() == 204
                            || head.status() == 304;
            InputStream body = noBody ? InputStream.nullInputStream() : body(in, head.headers());
            return new ChannelResponse(ch, head, body);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof IOException io) {
                throw new UncheckedIOException(
                        message(io) + " (" + request.method() + " " + request.path() + ")", io);
            }
            throw (RuntimeException) e;
        }
    }

    private static boolean hasHeader(Map<String, String> headers, String name) {
        return headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name));
    }

    private static final Set<String> OWN_HEADERS =
            Set.of("host", "connection", "content-length", "transfer-encoding");

    static void writeRequest(OutputStream out, Request request) throws IOException {
        byte[] bytes = request.bodyBytes();
        InputStream stream = bytes == null ? request.body() : null;
        StringBuilder head = new StringBuilder();
        head.append(request.method()).append(' ').append(request.path()).append(" HTTP/1.1\r\n");
        head.append("Host: docker\r\n");
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            if (OWN_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        if (bytes != null) {
            head.append("Content-Length: ").append(bytes.length).append("\r\n");
        } else if (stream != null) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (bytes != null) {
            out.write(bytes);
        } else if (stream != null) {
            // a streamed body (a build context, an archive) is sent as it is read
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = stream.read(buf)) > 0) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(buf, 0, n);
                out.write(CRLF);
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        // no EOF after the request: the engine would take it for a client gone and cancel the call
        out.flush();
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /** The status line and headers of a response (header names case-insensitive). */
    record Head(int status, Map<String, List<String>> headers) {}

    static Head readHead(InputStream in) throws IOException {
        int[] budget = {MAX_HEAD};
        String statusLine = readLine(in, budget);
        if (statusLine == null) {
            throw new EOFException("the engine closed the connection without an answer");
        }
        String[] parts = statusLine.split(" ", 3);
        int status;
        try {
            if (parts.length < 2 || !parts[0].startsWith("HTTP/"))
                throw new NumberFormatException();
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP response: " + abbreviate(statusLine));
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line = readLine(in, budget); ; line = readLine(in, budget)) {
            if (line == null)
                throw new EOFException("the engine closed the connection mid-headers");
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException("bad header line: " + abbreviate(line));
            headers.computeIfAbsent(line.substring(0, colon).strip(), k -> new ArrayList<>())
                    .add(line.substring(colon + 1).strip());
        }
        return new Head(status, headers);
    }

    /** The body as framed by the headers: chunked, Content-Length, or up to EOF. */
    static InputStream body(InputStream in, Map<String, List<String>> headers) throws IOException {
        List<String> te = headers.getOrDefault("Transfer-Encoding", List.of());
        if (te.stream().anyMatch(v -> v.toLowerCase(Locale.ROOT).contains("chunked"))) {
            return new ChunkedInputStream(in);
        }
        List<String> cl = headers.getOrDefault("Content-Length", List.of());
        if (!cl.isEmpty()) {
            try {
                return new LengthInputStream(in, Long.parseLong(cl.get(0).strip()));
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length: " + abbreviate(cl.get(0)));
            }
        }
        return in;
    }

    /** One CRLF (or LF) terminated ISO-8859-1 line without its terminator; null at EOF. */
    static String readLine(InputStream in, int[] budget) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != -1) {
            if (--budget[0] < 0) throw new IOException("response head too long");
            if (b == '\n') {
                byte[] a = line.toByteArray();
                int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                return new String(a, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        if (line.size() == 0) return null;
        throw new EOFException("the engine closed the connection mid-line");
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** A stream that reads in blocks only: its single-byte read goes through the block read. */
    abstract static class BlockInputStream extends InputStream {
        @Override
        public final int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public abstract int read(byte[] b, int off, int len) throws IOException;
    }

    /** A {@code Transfer-Encoding: chunked} body, decoded; trailers are read and dropped. */
    static final class ChunkedInputStream extends BlockInputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedInputStream(InputStream in) {
            this.in = in;
        }

        private boolean nextChunk() throws IOException {
            if (done) return false;
            if (left == 0) {
                int[] budget = {MAX_HEAD};
                String size = readLine(in, budget);
                if (size == null)
                    throw new EOFException("chunked body ended without its last chunk");
                int semi = size.indexOf(';');
                String hex = (semi >= 0 ? size.substring(0, semi) : size).strip();
                try {
                    left = Long.parseLong(hex, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size: " + abbreviate(size));
                }
                if (left < 0) throw new IOException("bad chunk size: " + abbreviate(size));
                if (left == 0) {
                    for (String t = readLine(in, budget); t != null && !t.isEmpty(); ) {
                        t = readLine(in, budget);
                    }
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!nextChunk()) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) throw new EOFException("chunked body cut short");
            left -= n;
            if (left == 0) {
                int cr = in.read();
                int lf = cr == '\r' ? in.read() : cr;
                if (lf != '\n') throw new IOException("chunk not followed by CRLF");
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return done ? 0 : (int) Math.min(left, in.available());
        }
    }

    /** A {@code Content-Length} body. */
    static final class LengthInputStream extends BlockInputStream {
        private final InputStream in;
        private long left;

        LengthInputStream(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (left == 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) throw new EOFException("body cut short: " + left + " bytes missing");
            left -= n;
            return n;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(left, in.available());
        }
    }

    /** The response on its channel; closing it (or its body) closes the channel. */
    private final class ChannelResponse implements Response {
        private final AbstractDirectChannel channel;
        private final Head head;
        private final InputStream body;

        ChannelResponse(AbstractDirectChannel channel, Head head, InputStream body) {
            this.channel = channel;
            this.head = head;
            this.body =
                    new FilterInputStream(body) {
                        @Override
                        public void close() {
                            ChannelResponse.this.close();
                        }
                    };
        }

        @Override
        public int getStatusCode() {
            return head.status();
        }

        @Override
        public Map<String, List<String>> getHeaders() {
            return head.headers();
        }

        @Override
        public InputStream getBody() {
            return body;
        }

        @Override
        public void close() {
            try {
                ((Closing) channel).closeWithoutWaiting();
            } catch (IOException e) {
                // the connection is gone, and the channel with it
            }
        }
    }

    private static void closeQuietly(AbstractDirectChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // the channel (or the whole connection) is gone
        }
    }

    // --- the call timeout -----------------------------------------------------------------------

    private interface IoStep {
        void run() throws IOException;
    }

    /**
     * The call timeout of one channel: a write, or a read that has nothing buffered, may wait for
     * the engine at most that long; then the channel is closed and the wait ends in a {@link
     * SocketTimeoutException} instead of a hang.
     */
    private final class Guard {
        private final AbstractDirectChannel channel;
        private volatile boolean fired;

        Guard(AbstractDirectChannel channel) {
            this.channel = channel;
        }

        private ScheduledFuture<?> arm() {
            return WATCHDOG.schedule(this::fire, callTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void fire() {
            fired = true;
            try {
                channel.close();
            } catch (IOException | RuntimeException e) {
                // no answer to the close either: wake the reader with the error
                channel.notifyError(new SSHException("channel closed after the call timeout", e));
            }
        }

        private SocketTimeoutException timeout() {
            return new SocketTimeoutException(
                    "no answer from the Docker engine within " + callTimeout.toSeconds() + "s");
        }

        void run(IoStep step) throws IOException {
            ScheduledFuture<?> f = arm();
            try {
                step.run();
            } catch (IOException e) {
                if (fired) throw timeout();
                throw e;
            } finally {
                f.cancel(false);
            }
            if (fired) throw timeout();
        }

        InputStream input(InputStream in) {
            return new BlockInputStream() {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (fired) throw timeout();
                    if (in.available() > 0) return in.read(b, off, len);
                    int[] n = new int[1];
                    run(() -> n[0] = in.read(b, off, len));
                    return n[0];
                }

                @Override
                public int available() throws IOException {
                    return in.available();
                }
            };
        }
    }

    private static ScheduledExecutorService watchdog() {
        ScheduledThreadPoolExecutor w =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "ssh-docker-call-timeout");
                            t.setDaemon(true);
                            return t;
                        });
        w.setRemoveOnCancelPolicy(true);
        return w;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
    }

    @Override
    public synchronized void close() {
        closed = true;
        drop(ssh);
        ssh = null;
    }
}
