package dev.canaryrelease.ctl;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The gateway's HTTP API as canaryctl uses it. Every failure becomes a {@link CtlException}: a
 * sentence that says what happened and what to do, and the exit code for it.
 */
final class Gateway {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient http;

    Gateway(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    URI base() {
        return base;
    }

    /** GET {@code path} with {@code query} (null values left out); the JSON answer. */
    JsonNode get(String path, Map<String, String> query) {
        return send(request(path, query).GET().build(), path);
    }

    JsonNode get(String path) {
        return get(path, Map.of());
    }

    /** POST a command with an optional reason; the JSON answer (202). */
    JsonNode command(String releaseId, String command, String reason) {
        return command(releaseId, command, reason, Map.of());
    }

    /** POST a command with an optional reason and more fields of its body; the JSON answer. */
    JsonNode command(String releaseId, String command, String reason, Map<String, ?> fields) {
        Map<String, Object> body = new LinkedHashMap<>(fields);
        if (reason != null) body.put("reason", reason);
        return post("/releases/" + encode(releaseId) + "/" + command, body);
    }

    /** POST a deploy of {@code ref} (a tag or digest of the app's image); the JSON answer. */
    JsonNode deploy(String app, String ref, String reason) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ref", ref);
        if (reason != null) body.put("reason", reason);
        return post("/apps/" + encode(app) + "/deploy", body);
    }

    private JsonNode post(String path, Map<String, Object> body) {
        try {
            return send(
                    request(path, Map.of())
                            .header("Content-Type", "application/json")
                            .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                            JSON.writeValueAsString(body)))
                            .build(),
                    path);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads the SSE stream {@code /events} with {@code query}, handing each event's data (a
     * CloudEvent) to {@code onEvent} until it returns false, or until {@code timeout} (null: no
     * limit) passes: then {@link TimedOut}. Resumes after a dropped connection from the last
     * cursor, as the gateway's {@code Last-Event-ID} promises (no gap, no repeat). The lines arrive
     * on the HTTP client's threads and are read here from a queue, so that the timeout holds while
     * the stream is silent.
     */
    void follow(Map<String, String> query, Predicate<JsonNode> onEvent, Duration timeout) {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        String cursor = null;
        while (true) {
            HttpRequest.Builder b = request("/events", query).header("Accept", "text/event-stream");
            if (cursor != null) b.header("Last-Event-ID", cursor);
            Lines lines = new Lines();
            var response = http.sendAsync(b.build(), r -> lines.body(r.statusCode()));
            response.whenComplete(
                    (r, t) -> {
                        if (t != null) {
                            lines.onError(
                                    t instanceof java.util.concurrent.CompletionException
                                            ? t.getCause()
                                            : t);
                        }
                    });
            try {
                StringBuilder data = new StringBuilder();
                String id = null;
                while (true) {
                    Object next = lines.next(deadline);
                    if (next == Lines.END) break; // the stream ended: resume from the cursor
                    if (next instanceof Throwable t) {
                        if (t instanceof IOException io && cursor == null) throw unreachable(io);
                        // it broke after it had worked: resume from the cursor, a moment later
                        Thread.sleep(500);
                        break;
                    }
                    String line = (String) next;
                    if (lines.status != 200) {
                        data.append(line);
                        continue;
                    }
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            if (id != null) cursor = id;
                            if (!onEvent.test(JSON.readTree(data.toString()))) return;
                        }
                        data.setLength(0);
                        id = null;
                    } else if (line.startsWith("data:")) {
                        if (data.length() > 0) data.append('\n');
                        data.append(line.substring(5).stripLeading());
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    }
                }
                if (lines.status != 200 && lines.status != 0) {
                    throw refusal(lines.status, "/events", data.toString());
                }
            } catch (IOException e) {
                throw new CtlException(
                        Exit.UNAVAILABLE,
                        "the gateway's event stream sent something not JSON: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CtlException(Exit.UNAVAILABLE, "interrupted");
            } finally {
                lines.cancel();
                response.cancel(true);
            }
        }
    }

    /** An SSE body's lines, handed from the HTTP client's threads to the reading thread. */
    private static final class Lines implements java.util.concurrent.Flow.Subscriber<String> {
        static final Object END = new Object();
        private final java.util.concurrent.BlockingQueue<Object> queue =
                new java.util.concurrent.LinkedBlockingQueue<>();
        private volatile java.util.concurrent.Flow.Subscription subscription;
        volatile int status;

        HttpResponse.BodySubscriber<Void> body(int status) {
            this.status = status;
            return HttpResponse.BodySubscribers.fromLineSubscriber(this);
        }

        /** The next line, {@link #END}, or the failure; {@link TimedOut} after the deadline. */
        Object next(long deadline) throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new TimedOut();
            Object o = queue.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (o == null) throw new TimedOut();
            return o;
        }

        void cancel() {
            var s = subscription;
            if (s != null) s.cancel();
        }

        @Override
        public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            queue.add(line);
        }

        @Override
        public void onError(Throwable t) {
            queue.add(t);
        }

        @Override
        public void onComplete() {
            queue.add(END);
        }
    }

    /** The stream or the wait outlived its {@code --timeout}. */
    static final class TimedOut extends RuntimeException {
        TimedOut() {
            super(null, null, false, false);
        }
    }

    private HttpRequest.Builder request(String path, Map<String, String> query) {
        String q =
                query.entrySet().stream()
                        .filter(e -> e.getValue() != null)
                        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                        .collect(Collectors.joining("&"));
        URI uri =
                URI.create(
                        base.toString().replaceAll("/+$", "")
                                + path
                                + (q.isEmpty() ? "" : "?" + q));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "application/json");
        if (token != null && !token.isBlank()) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private JsonNode send(HttpRequest request, String path) {
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtlException(Exit.UNAVAILABLE, "interrupted");
        }
        if (r.statusCode() / 100 != 2) throw refusal(r.statusCode(), path, r.body());
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CtlException(
                    Exit.UNAVAILABLE,
                    "the gateway at "
                            + base
                            + " answered "
                            + path
                            + " with something not JSON: "
                            + abbreviate(r.body()));
        }
    }

    private CtlException unreachable(IOException e) {
        String why = e instanceof ConnectException ? "connection refused" : e.toString();
        return new CtlException(
                Exit.UNAVAILABLE,
                "cannot reach the gateway at "
                        + base
                        + " ("
                        + why
                        + "). Is the suite up (dev/up, dev/status)? The address comes from"
                        + " --gateway, CANARY_GATEWAY_URL or GATEWAY_URL (.canary/env).");
    }

    /** A 4xx/5xx as a sentence that says what to do. */
    static CtlException refusal(int status, String path, String body) {
        String error = errorOf(body);
        return switch (status) {
            case 401 ->
                    new CtlException(
                            Exit.REFUSED,
                            "the gateway does not know this token (401): set CANARY_TOKEN (or"
                                    + " --token) to a token of the gateway's tokens file"
                                    + " (.canary/secrets/api-tokens; OPERATOR_TOKEN or VIEWER_TOKEN"
                                    + " in .canary/env)");
            case 403 ->
                    new CtlException(
                            Exit.REFUSED,
                            "this token may only read (403): promote, abort, rollback, pause,"
                                    + " resume, retry and deploy need an operator's token"
                                    + " (OPERATOR_TOKEN in .canary/env)");
            case 404 ->
                    new CtlException(
                            Exit.REFUSED,
                            (error != null ? error : "not found: " + path)
                                    + (path.startsWith("/apps/")
                                            ? " (404); `canaryctl history <app>` lists the app's"
                                                    + " releases with their tags and digests"
                                            : " (404); `canaryctl releases` lists the releases"));
            case 409 ->
                    new CtlException(
                            Exit.REFUSED,
                            "refused (409): "
                                    + (error != null ? error : abbreviate(body))
                                    + stateOf(body)
                                            .map(s -> " (the release is " + s + ")")
                                            .orElse("")
                                    + "; `canaryctl get <release>` shows where it stands");
            case 503 ->
                    new CtlException(
                            Exit.UNAVAILABLE,
                            (path.startsWith("/apps/")
                                            ? "the gateway cannot do it now (503): "
                                            : "the gateway is not ready yet (503): ")
                                    + (error != null ? error : "it is still reading its history")
                                    + "; try again in a few seconds");
            default ->
                    new CtlException(
                            status >= 500 ? Exit.UNAVAILABLE : Exit.REFUSED,
                            "the gateway answered "
                                    + status
                                    + " to "
                                    + path
                                    + ": "
                                    + (error != null ? error : abbreviate(body)));
        };
    }

    private static String errorOf(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.hasNonNull("error") ? n.get("error").asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static java.util.Optional<String> stateOf(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.hasNonNull("state")
                    ? java.util.Optional.of(n.get("state").asText())
                    : java.util.Optional.empty();
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    private static String abbreviate(String s) {
        if (s == null) return "";
        String t = s.strip();
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
