package dev.canaryrelease.transport;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

import dev.canaryrelease.fleet.Fleet;

import jdk.net.ExtendedSocketOptions;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.DisconnectReason;
import net.schmizz.sshj.common.SSHException;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.userauth.UserAuthException;

/**
 * The one way the suite opens an SSH connection to a fleet host (sshj), for deploy-service's {@code
 * ssh} Docker driver and dns-service's hosts files: the host key is checked against the fleet's
 * known_hosts file (never accepted blindly), the login is the fleet's private key, every wait has a
 * limit, and sockets acknowledge at once. It also names what went wrong in words a log reader
 * understands, and runs one command with its input and output.
 */
public final class Ssh {
    private Ssh() {}

    /** Why a connection failed, as far as the caller can act on it. */
    public enum Failure {
        /** The host's key is not the one in known_hosts: never retried. */
        HOST_KEY_REFUSED,
        /** sshd refused the login with the fleet's key: never retried. */
        LOGIN_REFUSED,
        /** No sshd answered (refused, no route, unknown name, timeout): may come back. */
        UNREACHABLE,
        /** Anything else (the transport broke, a protocol error). */
        OTHER
    }

    /** {@code ssh root@127.0.0.12:2222}. */
    public static String describe(Fleet.Ssh target) {
        return "ssh " + target.user() + "@" + target.host() + ":" + target.port();
    }

    /**
     * An authenticated connection to {@code target}. The caller owns it and closes it.
     *
     * @param connectTimeout the TCP connect, and opening or closing a channel
     * @param answerTimeout key exchange, authentication and every request the connection makes
     * @param idleTimeout the socket's read timeout: a connection that receives nothing for that
     *     long dies, ending any wait on it (for short-lived connections; null for a connection that
     *     is kept between calls)
     * @throws IOException sshj's own exception, closed behind it; {@link #failure} says what it
     *     means
     */
    public static SSHClient connect(
            Fleet.Ssh target, Duration connectTimeout, Duration answerTimeout, Duration idleTimeout)
            throws IOException {
        return connect(target, HostResolver.SYSTEM, connectTimeout, answerTimeout, idleTimeout);
    }

    /**
     * {@link #connect(Fleet.Ssh, Duration, Duration, Duration)} with the target's host resolved by
     * {@code resolver} (the suite's DNS for the fleet's names); the host key is checked against
     * known_hosts under the target's name as the fleet writes it, not the address.
     */
    public static SSHClient connect(
            Fleet.Ssh target,
            HostResolver resolver,
            Duration connectTimeout,
            Duration answerTimeout,
            Duration idleTimeout)
            throws IOException {
        SSHClient c = new SSHClient();
        try {
            c.loadKnownHosts(target.knownHosts().toFile());
            c.setSocketFactory(new PromptAckSocketFactory());
            c.setConnectTimeout((int) connectTimeout.toMillis());
            if (idleTimeout != null) c.setTimeout((int) idleTimeout.toMillis());
            c.getTransport().setTimeoutMs((int) answerTimeout.toMillis());
            if (resolver.bySuiteDns(target.host())) {
                // the address carries the name: sshj looks the host key up under it
                c.connect(resolver.resolve(target.host()), target.port());
            } else {
                c.connect(target.host(), target.port());
            }
            c.getConnection().setTimeoutMs((int) connectTimeout.toMillis());
            c.authPublickey(target.user(), c.loadKeys(target.privateKey().toString()));
            return c;
        } catch (IOException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /** What {@code e} (or one of its causes) says about the connection. */
    public static Failure failure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UserAuthException) return Failure.LOGIN_REFUSED;
            if (t instanceof SSHException s
                    && s.getDisconnectReason() == DisconnectReason.HOST_KEY_NOT_VERIFIABLE) {
                return Failure.HOST_KEY_REFUSED;
            }
        }
        if (e instanceof ConnectException
                || e instanceof NoRouteToHostException
                || e instanceof UnknownHostException
                || e instanceof SocketTimeoutException) {
            return Failure.UNREACHABLE;
        }
        return Failure.OTHER;
    }

    /** True when sshd answered no (host key or login): trying again cannot mend it. */
    public static boolean refused(Throwable e) {
        Failure f = failure(e);
        return f == Failure.HOST_KEY_REFUSED || f == Failure.LOGIN_REFUSED;
    }

    /**
     * {@code e} of {@link #connect} as an {@link IOException} naming the target and why, e.g.
     * {@code ssh root@127.0.0.1:2222: host key not accepted by known_hosts /path: …}; the cause is
     * {@code e}.
     */
    public static IOException connectFailure(Fleet.Ssh target, Exception e) {
        String why =
                switch (failure(e)) {
                    case HOST_KEY_REFUSED ->
                            "host key not accepted by known_hosts " + target.knownHosts();
                    case LOGIN_REFUSED ->
                            "authentication as "
                                    + target.user()
                                    + " with key "
                                    + target.privateKey()
                                    + " refused";
                    case UNREACHABLE -> "cannot connect to sshd";
                    case OTHER -> "connection failed";
                };
        return new IOException(describe(target) + ": " + why + ": " + message(e), e);
    }

    /** The exception's message, or its class when it has none. */
    public static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
    }

    /** Closes {@code c} (nullable); the connection is gone either way. */
    public static void closeQuietly(SSHClient c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException e) {
            // the connection is gone either way
        }
    }

    /** What a command gave back: its exit status (-1 when none came), stdout, stderr. */
    public record Result(int exit, String out, String err) {}

    /**
     * Runs {@code command} in a session of {@code client}, sends {@code stdin} (nullable: none) and
     * closes it, and reads stdout (ISO-8859-1, byte for byte) and stderr (UTF-8) to their ends.
     * stderr is read by its own thread, so a command that writes much to both cannot stall on a
     * full window. The exit status is awaited at most {@code timeout}.
     */
    public static Result exec(SSHClient client, String command, byte[] stdin, Duration timeout)
            throws IOException {
        try (Session session = client.startSession()) {
            Session.Command cmd = session.exec(command);
            try (OutputStream in = cmd.getOutputStream()) {
                if (stdin != null) in.write(stdin);
            }
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errReader =
                    new Thread(
                            () -> {
                                try (InputStream e = cmd.getErrorStream()) {
                                    e.transferTo(err);
                                } catch (IOException ignored) {
                                    // the exit status tells
                                }
                            },
                            "ssh-stderr " + client.getRemoteHostname());
            errReader.setDaemon(true);
            errReader.start();
            byte[] out = cmd.getInputStream().readAllBytes();
            cmd.join(timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                errReader.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Integer exit = cmd.getExitStatus();
            return new Result(
                    exit == null ? -1 : exit,
                    new String(out, StandardCharsets.ISO_8859_1),
                    err.toString(StandardCharsets.UTF_8));
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
            return connected(new InetSocketAddress(host, port), null, 0);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort)
                throws IOException {
            return connected(new InetSocketAddress(host, port), local, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return connected(new InetSocketAddress(host, port), null, 0);
        }

        @Override
        public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
                throws IOException {
            return connected(new InetSocketAddress(host, port), local, localPort);
        }

        private Socket connected(InetSocketAddress to, InetAddress local, int localPort)
                throws IOException {
            Socket s = createSocket();
            if (local != null) s.bind(new InetSocketAddress(local, localPort));
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
}
