package dev.canaryrelease.lb.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The raw HAProxy Runtime API: one command per connection (non-interactive mode), answer read to
 * the end. Endpoints are {@code unix:///path}, {@code /path} or {@code ipv4@host:port}.
 */
final class RuntimeApiConnection {
    private static final Pattern TCP = Pattern.compile("ipv4@([^:]+):(\\d+)");

    private static final java.util.concurrent.ExecutorService IO =
            java.util.concurrent.Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "haproxy-runtime-api");
                        t.setDaemon(true);
                        return t;
                    });

    private final String endpoint;
    private final Path unixPath;
    private final InetSocketAddress tcp;
    private final Duration timeout;

    RuntimeApiConnection(String endpoint, Duration timeout) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        Matcher m = TCP.matcher(endpoint);
        if (m.matches()) {
            String host = m.group(1);
            if (!host.startsWith("127.") && !host.equals("localhost")) {
                // The suite only talks to loopback (see HELPERS safety rules and DESIGN).
                throw new IllegalArgumentException(
                        "runtime API " + endpoint + " is not on loopback (127.0.0.0/8)");
            }
            this.tcp = new InetSocketAddress(host, Integer.parseInt(m.group(2)));
            this.unixPath = null;
        } else if (endpoint.startsWith("unix://")) {
            this.unixPath = Path.of(endpoint.substring("unix://".length()));
            this.tcp = null;
        } else if (endpoint.startsWith("/")) {
            this.unixPath = Path.of(endpoint);
            this.tcp = null;
        } else {
            throw new IllegalArgumentException(
                    "runtime API '" + endpoint + "' is not unix:///path or ipv4@host:port");
        }
    }

    String endpoint() {
        return endpoint;
    }

    /** Sends {@code command} and returns HAProxy's whole answer. */
    String execute(String command) throws IOException {
        byte[] line = (command + "\n").getBytes(StandardCharsets.UTF_8);
        return unixPath != null ? unix(line) : tcp(line);
    }

    private String tcp(byte[] line) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(tcp, (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.getOutputStream().write(line);
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.getInputStream().transferTo(out);
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private String unix(byte[] line) throws IOException {
        // SocketChannel on a unix socket has no read timeout: bound the whole exchange instead.
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        CompletableFuture<String> answer =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                ch.connect(UnixDomainSocketAddress.of(unixPath));
                                ch.write(ByteBuffer.wrap(line));
                                InputStream in = Channels.newInputStream(ch);
                                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        IO);
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("no answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.io.UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IOException(c);
        } finally {
            ch.close();
        }
    }
}
