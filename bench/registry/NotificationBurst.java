import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Burst benchmark of registry-service's {@code POST /registry/notifications}: sends N distinct
 * registry envelopes (each a config-blob push, ignored, plus a tagged manifest push, queued) with C
 * concurrent senders and prints p50/p90/p99/max of the response time, then the same N one at a
 * time, as the registry's single delivery loop sends them. Usage: {@code java
 * NotificationBurst.java <baseUrl> <tokenFile> [n=1000] [concurrency=32] [warmup=200]}.
 * Only sends to the URL given (run it against a service on 127.0.0.1).
 */
public class NotificationBurst {
    static final String TYPE = "application/vnd.docker.distribution.events.v1+json";

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0] + "/registry/notifications");
        if (!uri.getHost().startsWith("127.") && !uri.getHost().equals("localhost")) {
            throw new IllegalArgumentException("loopback targets only: " + uri);
        }
        String token = java.nio.file.Files.readString(java.nio.file.Path.of(args[1])).strip();
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        HttpClient http =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .executor(Executors.newFixedThreadPool(concurrency))
                        .build();
        String run = Long.toHexString(ThreadLocalRandom.current().nextLong());

        run(http, uri, token, "warmup-" + run, warmup, concurrency);
        Result burst = run(http, uri, token, "burst-" + run, n, concurrency);
        Result serial = run(http, uri, token, "serial-" + run, n, 1);
        System.out.println();
        System.out.println("registry-service POST /registry/notifications, " + n + " envelopes");
        burst.print("burst, " + concurrency + " concurrent senders");
        serial.print("sequential (the registry's delivery loop)");
        System.exit(burst.failures + serial.failures == 0 ? 0 : 1);
    }

    record Result(List<Long> nanos, int failures, long wallNanos) {
        void print(String what) {
            List<Long> s = new ArrayList<>(nanos);
            Collections.sort(s);
            System.out.printf(
                    "%-45s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %7.2f ms  %6.0f req/s"
                            + "  non-200 %d%n",
                    what,
                    ms(pct(s, 50)),
                    ms(pct(s, 90)),
                    ms(pct(s, 99)),
                    ms(s.get(s.size() - 1)),
                    s.size() / (wallNanos / 1e9),
                    failures);
        }
    }

    static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static Result run(HttpClient http, URI uri, String token, String prefix, int n, int concurrency)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<long[]>> futures = new ArrayList<>(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String body = envelope(prefix, i);
            futures.add(
                    pool.submit(
                            () -> {
                                HttpRequest r =
                                        HttpRequest.newBuilder(uri)
                                                .timeout(Duration.ofSeconds(30))
                                                .header("Content-Type", TYPE)
                                                .header("Authorization", "Bearer " + token)
                                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                                .build();
                                long t0 = System.nanoTime();
                                int status =
                                        http.send(r, HttpResponse.BodyHandlers.discarding())
                                                .statusCode();
                                return new long[] {System.nanoTime() - t0, status};
                            }));
        }
        List<Long> nanos = new ArrayList<>(n);
        int failures = 0;
        for (Future<long[]> f : futures) {
            long[] r = f.get();
            nanos.add(r[0]);
            if (r[1] != 200) failures++;
        }
        long wall = System.nanoTime() - start;
        pool.shutdown();
        return new Result(nanos, failures, wall);
    }

    static String envelope(String prefix, int i) {
        String digest = sha(prefix + "-" + i);
        String config = sha(prefix + "-config-" + i);
        String now = Instant.now().toString();
        String tag = "t" + i;
        return """
               {"events":[
                {"id":"%s-c","timestamp":"%s","action":"push","target":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1470,"digest":"%s","length":1470,"repository":"example-app","url":"http://127.0.0.1:5000/v2/example-app/blobs/%s"},"request":{"id":"r1","addr":"127.0.0.1:40000","host":"127.0.0.1:5000","method":"PUT","useragent":"docker/26.1.5"},"actor":{},"source":{"addr":"bench:5000","instanceID":"bench"}},
                {"id":"%s-m","timestamp":"%s","action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":527,"digest":"%s","length":527,"repository":"example-app","url":"http://127.0.0.1:5000/v2/example-app/manifests/%s","tag":"%s"},"request":{"id":"r2","addr":"127.0.0.1:40000","host":"127.0.0.1:5000","method":"PUT","useragent":"docker/26.1.5"},"actor":{},"source":{"addr":"bench:5000","instanceID":"bench"}}
               ]}
               """
                .formatted(prefix + i, now, config, config, prefix + i, now, digest, digest, tag);
    }

    static String sha(String s) {
        try {
            byte[] d =
                    java.security.MessageDigest.getInstance("SHA-256")
                            .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "sha256:" + java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
