package dev.canaryrelease.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real HTTP load generator: {@code threads} keep-alive clients GET {@code url} in a loop until
 * closed (bounded by {@code maxDuration}), flat out or paced at a total rate. Counts 2xx, other
 * statuses and connection errors, and classifies each 2xx body (by default its first line), so a
 * test can tell versions apart.
 */
public final class LoadLoop implements AutoCloseable {
    private final URI uri;
    private final HttpRequest request;
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder ok = new LongAdder();
    private final LongAdder bad = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final Map<String, LongAdder> bodies = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicLong deadline;
    private volatile boolean running = true;

    private final java.util.function.Function<String, String> classify;
    private final long periodNanos;

    private LoadLoop(
            String url,
            int threadCount,
            Duration maxDuration,
            java.util.function.Function<String, String> classify,
            int ratePerSecond,
            String host) {
        this.uri = URI.create(url);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
        if (host != null) {
            try {
                b.header("Host", host);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(
                        "the JDK's HTTP client sets a Host header only when the JVM runs with"
                                + " -Djdk.httpclient.allowRestrictedHeaders=host",
                        e);
            }
        }
        this.request = b.build();
        this.classify = classify;
        this.periodNanos = ratePerSecond <= 0 ? 0 : 1_000_000_000L * threadCount / ratePerSecond;
        this.deadline = new AtomicLong(System.nanoTime() + maxDuration.toNanos());
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(this::loop, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    /** Starts the load; it stops by itself after {@code maxDuration}. */
    public static LoadLoop start(String url, int threads, Duration maxDuration) {
        return start(url, threads, maxDuration, LoadLoop::firstLine);
    }

    /** Starts the load, counting 2xx bodies by {@code classify(body)} (e.g. the version shown). */
    public static LoadLoop start(
            String url,
            int threads,
            Duration maxDuration,
            java.util.function.Function<String, String> classify) {
        return paced(url, threads, 0, maxDuration, classify);
    }

    /**
     * Starts the load at about {@code ratePerSecond} requests a second in total (each client sends
     * on its own schedule; 0 = flat out), so a benchmark can measure the system beside the load
     * instead of a CPU the load generator saturates.
     */
    public static LoadLoop paced(
            String url,
            int threads,
            int ratePerSecond,
            Duration maxDuration,
            java.util.function.Function<String, String> classify) {
        return paced(url, null, threads, ratePerSecond, maxDuration, classify);
    }

    /**
     * {@link #paced(String, int, int, Duration, java.util.function.Function)} with the {@code Host}
     * header {@code host} (null: the URL's), e.g. one app's name at a front end that routes by
     * Host. Needs a JVM started with {@code -Djdk.httpclient.allowRestrictedHeaders=host}.
     */
    public static LoadLoop paced(
            String url,
            String host,
            int threads,
            int ratePerSecond,
            Duration maxDuration,
            java.util.function.Function<String, String> classify) {
        LoadLoop l = new LoadLoop(url, threads, maxDuration, classify, ratePerSecond, host);
        l.threads.forEach(Thread::start);
        return l;
    }

    private void loop() {
        HttpClient client =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
        HttpRequest req = request;
        long next = System.nanoTime();
        while (running && System.nanoTime() < deadline.get()) {
            if (periodNanos > 0) {
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait); // pacing
            }
            try {
                HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 == 2) {
                    ok.increment();
                    bodies.computeIfAbsent(classify.apply(r.body()), k -> new LongAdder())
                            .increment();
                } else {
                    bad.increment();
                    if (problems.size() < 20) problems.add("HTTP " + r.statusCode());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                errors.increment();
                if (problems.size() < 20) problems.add(e.toString());
            }
        }
    }

    static String firstLine(String body) {
        String b = body.strip();
        int nl = b.indexOf('\n');
        return nl < 0 ? b : b.substring(0, nl);
    }

    public long ok() {
        return ok.sum();
    }

    /** Responses with a status other than 2xx. */
    public long bad() {
        return bad.sum();
    }

    /** Connection errors and timeouts. */
    public long errors() {
        return errors.sum();
    }

    /** Requests that did not succeed: non-2xx plus connection errors. */
    public long dropped() {
        return bad() + errors();
    }

    /** Each class of 2xx body, with how many times it was seen. */
    public Map<String, Long> bodies() {
        Map<String, Long> out = new java.util.TreeMap<>();
        bodies.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The first problems seen (up to 20), to explain a failure. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    @Override
    public String toString() {
        return "served " + ok() + ", non-2xx " + bad() + ", errors " + errors() + " " + problems();
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : threads) {
            try {
                t.join(15000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
