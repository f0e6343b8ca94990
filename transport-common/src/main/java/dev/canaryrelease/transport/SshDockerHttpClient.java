package dev.canaryrelease.transport;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
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

import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ContentLengthStrategy;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.TruncatedChunkException;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.DefaultContentLengthStrategy;
import org.apache.hc.core5.http.impl.io.ChunkedInputStream;
import org.apache.hc.core5.http.impl.io.ChunkedOutputStream;
import org.apache.hc.core5.http.impl.io.ContentLengthInputStream;
import org.apache.hc.core5.http.impl.io.ContentLengthOutputStream;
import org.apache.hc.core5.http.impl.io.DefaultHttpRequestWriter;
import org.apache.hc.core5.http.impl.io.DefaultHttpResponseParser;
import org.apache.hc.core5.http.impl.io.IdentityInputStream;
import org.apache.hc.core5.http.impl.io.SessionInputBufferImpl;
import org.apache.hc.core5.http.impl.io.SessionOutputBufferImpl;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;

import com.github.dockerjava.transport.DockerHttpClient;

import dev.canaryrelease.fleet.Fleet;

import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.SSHException;
import net.schmizz.sshj.connection.channel.OpenFailException;
import net.schmizz.sshj.connection.channel.direct.AbstractDirectChannel;

/**
 * A docker-java {@link DockerHttpClient} for the {@code ssh} driver: the Docker Engine HTTP API
 * through an SSH connection, so that driver shares the docker-java code of the TLS one
 * (deploy-service's {@code DockerApiHost}). One authenticated connection per host ({@link
 * Ssh#connect}: its host key checked against the fleet's known_hosts file, never accepted blindly),
 * reopened when it dropped. Every request gets a fresh channel to the engine ({@link SshChannels}):
 * an OpenSSH {@code direct-streamlocal@openssh.com} channel to a {@code unix://} socket (the
 * default {@code unix:///var/run/docker.sock}, as {@code docker -H ssh://} uses), or a {@code
 * direct-tcpip} channel to a {@code tcp://} endpoint as the remote host sees it (plain HTTP inside
 * the tunnel). No remote shell or {@code docker} CLI runs.
 *
 * <p>One HTTP/1.1 request per channel ({@code Connection: close}), written and read by httpcore5
 * (the library under docker-java's own httpclient5 transport): {@link DefaultHttpRequestWriter} and
 * a {@link ContentLengthOutputStream} or {@link ChunkedOutputStream} for the body, {@link
 * DefaultHttpResponseParser} for the head and the body framed as {@link
 * DefaultContentLengthStrategy} says ({@link ChunkedInputStream}, {@link ContentLengthInputStream},
 * or {@link IdentityInputStream} up to the end). The response body streams (pull progress, logs)
 * and closing the response closes the channel. Hijacked (attach) connections are not supported.
 */
public final class SshDockerHttpClient implements DockerHttpClient {
    /** What {@code docker -H ssh://host} talks to when nothing else is said. */
    static final String DEFAULT_ENDPOINT = "unix:///var/run/docker.sock";

    /** The longest line of a response head, a chunk size or a trailer. */
    private static final int MAX_LINE = 64 * 1024;

    private static final int BUFFER = 16 * 1024;

    private static final Http1Config HTTP1 =
            Http1Config.custom().setMaxLineLength(MAX_LINE).setMaxHeaderCount(200).build();

    /**
     * Closes the channels whose engine went quiet for longer than the call timeout (sshj's channel
     * reads wait without a limit). One daemon thread for every client: a close waits for the
     * server's answer at most the connect timeout.
     */
    private static final ScheduledExecutorService WATCHDOG = watchdog();

    private final Fleet.Ssh target;
    private final HostResolver resolver;
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
        this(target, HostResolver.SYSTEM, endpoint, connectTimeout, callTimeout);
    }

    /**
     * The same, the SSH host resolved by {@code resolver} (the suite's DNS for the fleet's names,
     * {@link Ssh#connect(Fleet.Ssh, HostResolver, Duration, Duration, Duration)}).
     */
    public SshDockerHttpClient(
            Fleet.Ssh target,
            HostResolver resolver,
            String endpoint,
            Duration connectTimeout,
            Duration callTimeout) {
        this.target = target;
        this.resolver = resolver;
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
        return Ssh.describe(target);
    }

    // --- the SSH connection ---------------------------------------------------------------------

    /** The authenticated connection, opened (again) if there is none. */
    synchronized SSHClient connection() throws IOException {
        if (closed) throw new IOException(sshTarget() + ": client closed");
        if (ssh != null && ssh.isConnected() && ssh.isAuthenticated()) return ssh;
        Ssh.closeQuietly(ssh);
        ssh = null;
        try {
            // kept between calls: no idle timeout; each call has its own (the Guard below)
            ssh = Ssh.connect(target, resolver, connectTimeout, callTimeout, null);
        } catch (IOException | RuntimeException e) {
            throw Ssh.connectFailure(target, e);
        }
        return ssh;
    }

    /** Forgets {@code c} if it is still the current connection (it failed). */
    private synchronized void forget(SSHClient c) {
        if (ssh == c) {
            Ssh.closeQuietly(c);
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
        return socketPath != null
                ? SshChannels.streamLocal(c.getConnection(), socketPath)
                : SshChannels.tcp(c.getConnection(), tcpHost, tcpPort);
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
            Exchange answer =
                    readResponse(guard.input(ch.getInputStream()), "HEAD".equals(request.method()));
            return new ChannelResponse(ch, answer);
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

    /** Headers this transport sets itself: the host, the framing, one request per channel. */
    private static final Set<String> OWN_HEADERS =
            Set.of("host", "connection", "content-length", "transfer-encoding");

    /**
     * Writes {@code request} with its body: {@code Content-Length} for bytes, chunked for a stream
     * (a build context, an archive: sent as it is read). No EOF after it: the engine would take it
     * for a client gone and cancel the call.
     */
    static void writeRequest(OutputStream out, Request request) throws IOException {
        byte[] bytes = request.bodyBytes();
        InputStream stream = bytes == null ? request.body() : null;
        BasicClassicHttpRequest head = new BasicClassicHttpRequest(request.method(), "/");
        head.setPath(request.path()); // as docker-java encoded it, query included
        head.addHeader("Host", "docker");
        for (Map.Entry<String, String> h : request.headers().entrySet()) {
            if (OWN_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) continue;
            head.addHeader(h.getKey(), h.getValue());
        }
        if (bytes != null) {
            head.addHeader("Content-Length", Integer.toString(bytes.length));
        } else if (stream != null) {
            head.addHeader("Transfer-Encoding", "chunked");
        }
        head.addHeader("Connection", "close");
        SessionOutputBufferImpl buffer = new SessionOutputBufferImpl(BUFFER);
        try {
            new DefaultHttpRequestWriter().write(head, buffer, out);
        } catch (HttpException e) {
            throw new IOException("cannot write the request: " + message(e), e);
        }
        // closing these streams ends the body (the last chunk) and flushes; the channel stays open
        if (bytes != null) {
            try (OutputStream body = new ContentLengthOutputStream(buffer, out, bytes.length)) {
                body.write(bytes);
            }
        } else if (stream != null) {
            try (OutputStream body = new ChunkedOutputStream(buffer, out, BUFFER)) {
                stream.transferTo(body);
            }
        }
        buffer.flush(out);
        out.flush();
    }

    /** The status line and headers of a response (header names case-insensitive). */
    record Head(int status, Map<String, List<String>> headers) {}

    /** A response as read: its head and its body, framed. */
    record Exchange(Head head, InputStream body) {}

    /**
     * Reads a response's head from {@code in} and frames its body: none for a {@code HEAD} request,
     * 1xx, 204 and 304, otherwise chunked, {@code Content-Length} or up to the end. A body cut
     * short is an {@link EOFException}; anything that is not HTTP/1.x an {@link IOException}.
     */
    static Exchange readResponse(InputStream in, boolean headRequest) throws IOException {
        SessionInputBufferImpl buffer = new SessionInputBufferImpl(BUFFER, MAX_LINE);
        ClassicHttpResponse response;
        long length;
        try {
            response = new DefaultHttpResponseParser(HTTP1).parse(buffer, in);
            if (response == null) {
                throw new EOFException("the engine closed the connection without an answer");
            }
            length = DefaultContentLengthStrategy.INSTANCE.determineLength(response);
        } catch (HttpException e) {
            throw new IOException("not an HTTP response: " + message(e), e);
        }
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Header h : response.getHeaders()) {
            headers.computeIfAbsent(h.getName(), k -> new ArrayList<>()).add(h.getValue());
        }
        int status = response.getCode();
        boolean noBody = headRequest || status / 100 == 1 || status == 204 || status == 304;
        InputStream body;
        if (noBody) {
            body = InputStream.nullInputStream();
        } else if (length == ContentLengthStrategy.CHUNKED) {
            body = new CutShort(new ChunkedInputStream(buffer, in, HTTP1));
        } else if (length == ContentLengthStrategy.UNDEFINED) {
            body = new CutShort(new IdentityInputStream(buffer, in));
        } else {
            body = new CutShort(new ContentLengthInputStream(buffer, in, length));
        }
        return new Exchange(new Head(status, headers), body);
    }

    /**
     * A body stream of httpcore5 whose premature end ({@link ConnectionClosedException}, {@link
     * TruncatedChunkException}) is an {@link EOFException}, and whose close does nothing:
     * httpcore5's streams read to the end on close, which a streamed response (logs, events) may
     * never reach; the channel's close ends it.
     */
    static final class CutShort extends FilterInputStream {
        CutShort(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (ConnectionClosedException | TruncatedChunkException e) {
                throw cutShort(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (ConnectionClosedException | TruncatedChunkException e) {
                throw cutShort(e);
            }
        }

        @Override
        public void close() {
            // the response's close closes the channel
        }

        private static EOFException cutShort(IOException e) {
            EOFException eof = new EOFException("body cut short: " + message(e));
            eof.initCause(e);
            return eof;
        }
    }

    /** The response on its channel; closing it (or its body) closes the channel. */
    private static final class ChannelResponse implements Response {
        private final AbstractDirectChannel channel;
        private final Head head;
        private final InputStream body;

        ChannelResponse(AbstractDirectChannel channel, Exchange answer) {
            this.channel = channel;
            this.head = answer.head();
            this.body =
                    new FilterInputStream(answer.body()) {
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
                // the response is complete by its framing: no need to wait for the server's CLOSE
                ((SshChannels.Closing) channel).closeWithoutWaiting();
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
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n == -1 ? -1 : one[0] & 0xff;
                }

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
        return Ssh.message(e);
    }

    @Override
    public synchronized void close() {
        closed = true;
        Ssh.closeQuietly(ssh);
        ssh = null;
    }
}
