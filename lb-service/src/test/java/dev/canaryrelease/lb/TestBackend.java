package dev.canaryrelease.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP back end on 127.0.0.1 (the JDK's HttpServer): {@code /} answers 200 with its name,
 * {@code /health} 200 (or 404 when made unhealthy), {@code /hold} keeps the request open until
 * {@link #release()} (a long-lived connection). It can be stopped and started again on the same
 * port, as a container swap would.
 */
final class TestBackend implements AutoCloseable {
    static {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
        // delayed ACK: 40 ms per keep-alive request, which would make the load far too light.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final String name;
    private final int port;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    private final AtomicInteger holding = new AtomicInteger();
    private volatile boolean healthy = true;
    private volatile int errorEvery;
    private volatile long slowMs;
    private volatile CountDownLatch hold = new CountDownLatch(1);
    private HttpServer server;
    private ExecutorService executor;

    private TestBackend(String name, int port) {
        this.name = name;
        this.port = port;
    }

    static TestBackend start(String name) {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            TestBackend b = new TestBackend(name, s.getLocalPort());
            s.close();
            b.start();
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext(
                "/",
                ex -> {
                    long n = served.incrementAndGet();
                    long slow = slowMs;
                    if (slow > 0) {
                        try {
                            Thread.sleep(slow);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    int every = errorEvery;
                    if (every > 0 && n % every == 0) {
                        reply(ex, 500, "broken " + name + "\n");
                    } else {
                        reply(ex, 200, "server " + name + "\n");
                    }
                });
        server.createContext(
                "/health",
                ex -> {
                    checks.incrementAndGet();
                    reply(ex, healthy ? 200 : 404, healthy ? "ok\n" : "sick\n");
                });
        server.createContext(
                "/hold",
                ex -> {
                    holding.incrementAndGet();
                    try {
                        hold.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        holding.decrementAndGet();
                    }
                    reply(ex, 200, "held by " + name + "\n");
                });
        server.start();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    synchronized void stop() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    long served() {
        return served.get();
    }

    /** {@code /health} requests answered (HAProxy's checks), across stops and starts. */
    long checks() {
        return checks.get();
    }

    int holding() {
        return holding.get();
    }

    /** Answers {@code /} with a 500 on every {@code every}-th request (0: never). */
    void errorEvery(int every) {
        this.errorEvery = every;
    }

    /** Waits {@code ms} before answering {@code /}. */
    void slow(long ms) {
        this.slowMs = ms;
    }

    void healthy(boolean healthy) {
        this.healthy = healthy;
    }

    /** Lets every held request finish; later {@code /hold} requests are held again. */
    void release() {
        CountDownLatch old = hold;
        hold = new CountDownLatch(1);
        old.countDown();
    }

    @Override
    public void close() {
        stop();
    }
}
