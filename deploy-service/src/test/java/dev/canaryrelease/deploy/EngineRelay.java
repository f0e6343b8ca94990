package dev.canaryrelease.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of a real engine, standing for the network between deploy-service and the
 * engine: while {@link #cut} is set it resets every new connection, and {@link #cutNow()} also
 * resets the connections open at that moment (an engine that stops answering mid-call).
 */
public final class EngineRelay implements AutoCloseable {
    public final AtomicBoolean cut = new AtomicBoolean();
    public final AtomicInteger refused = new AtomicInteger();
    private final ServerSocket server;
    private final String host;
    private final int target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    public EngineRelay(String host, int target) throws IOException {
        this.host = host;
        this.target = target;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
        Thread accept = new Thread(this::accept, "relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Cuts: resets every open connection and every new one until {@link #cut} is cleared. */
    public void cutNow() {
        cut.set(true);
        for (Socket s : open) reset(s);
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0); // a reset, as a dropped link gives
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut.get()) {
                    refused.incrementAndGet();
                    reset(client);
                    continue;
                }
                Socket engine = new Socket(host, target);
                open.add(client);
                open.add(engine);
                pipe(client, engine);
                pipe(engine, client);
            } catch (IOException e) {
                if (!server.isClosed()) throw new UncheckedIOException(e);
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread t =
                new Thread(
                        () -> {
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                in.transferTo(out);
                            } catch (IOException e) {
                                // one side closed
                            } finally {
                                open.remove(from);
                                open.remove(to);
                                try {
                                    from.close();
                                    to.close();
                                } catch (IOException e) {
                                    // closing
                                }
                            }
                        },
                        "relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
    }
}
