package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.testsupport.KafkaClients;

/**
 * No secret ever leaves the suite (issue 20, point 7). A whole release (canary, promotion) and a
 * build that fails after printing its environment run on the real suite; then the value of every
 * secret under {@code .canary/} (webhook secret, each API token, the TSIG key, the registry's
 * notification token, the SSH and TLS private keys, and any other file of {@code .canary/secrets})
 * is looked for in every log the suite wrote, every record of every Kafka topic (key, headers,
 * value) and every HTTP answer this test received (every service's API, build logs included, the
 * SSE stream, health, metrics and OpenAPI). A hit names the place and the secret's name, never its
 * value.
 */
class NoSecretLeavesIT {
    static final Duration STEP = Duration.ofMinutes(4);

    /** A secret: what it is called in a failure message, and the text that must not appear. */
    record Secret(String name, String value) {}

    /** Something the suite said: where (a file, a topic, a request) and the text. */
    record Said(String where, String text) {}

    final Suite suite = Suite.get();
    final List<Said> answers = new ArrayList<>();

    @Test
    void aReleaseAndAFailingBuildThatPrintsItsEnvironmentLeaveNoSecretAnywhere() throws Exception {
        String gateway = suite.env("GATEWAY_URL");
        String viewer = suite.env("VIEWER_TOKEN");
        String operator = suite.env("OPERATOR_TOKEN");
        String build = suite.env("BUILD_SERVICE_URL");

        // a build that prints its environment into the build log, then fails
        String failing = suite.pushChange("--failing-build");
        awaitState(failing, "FAILED");
        String log = get(build + "/builds/" + failing + "/log", viewer);
        assertTrue(
                log.contains("build environment:") && log.contains("PATH="),
                "the failing build's log holds its environment:\n" + log);

        // a whole release: canary, promotion
        String release = suite.pushChange();
        awaitState(release, "CANARY_LIVE");
        HttpResponse<String> promote =
                record(
                        "POST /releases/" + release + "/promote",
                        suite.post(
                                gateway + "/releases/" + release + "/promote",
                                operator,
                                "{\"reason\":\"e2e: no secret leaves\"}"));
        assertEquals(202, promote.statusCode(), promote.body());
        awaitState(release, "PROMOTED");

        readEveryApi(List.of(failing, release), viewer, operator);

        List<Secret> secrets = secrets(suite.root.resolve(".canary"));
        Set<String> names =
                Set.copyOf(secrets.stream().map(s -> s.name().replaceAll(",.*", "")).toList());
        for (String expected :
                List.of(
                        "webhook secret",
                        "registry notification token",
                        "TSIG key secret",
                        "API token operator",
                        "API token viewer",
                        "ssh/id_ed25519")) {
            assertTrue(
                    names.stream().anyMatch(n -> n.startsWith(expected)),
                    "the secret " + expected + " was found to look for; found " + names);
        }

        List<Said> said = new ArrayList<>(answers);
        said.addAll(logs(suite.root.resolve(".canary")));
        said.addAll(topics(suite.env("KAFKA_BOOTSTRAP")));
        List<String> hits = new ArrayList<>();
        for (Said s : said) {
            for (Secret secret : secrets) {
                if (s.text().contains(secret.value())) {
                    hits.add(secret.name() + " in " + s.where());
                }
            }
        }
        System.out.printf(
                "no-secret check: %d secrets in %d logs, records and answers%n",
                secrets.size(), said.size());
        assertEquals(List.of(), hits, "secrets that left the suite (by name)");
    }

    // ---- the HTTP answers ----------------------------------------------------------------------

    /** Every service's API as a viewer and an operator see it, and what a caller without sees. */
    void readEveryApi(List<String> releases, String viewer, String operator) {
        String gateway = suite.env("GATEWAY_URL");
        String build = suite.env("BUILD_SERVICE_URL");
        String registry = suite.env("REGISTRY_SERVICE_URL");
        String lb = suite.env("LB_SERVICE_URL");
        String deploy = suite.env("DEPLOY_SERVICE_URL");
        String dns = suite.env("DNS_SERVICE_URL");
        List<String> reads = new ArrayList<>();
        reads.add(gateway + "/releases");
        reads.add(registry + "/images/" + suite.env("EXAMPLE_IMAGE") + "/tags");
        reads.add(lb + "/pools");
        reads.add(deploy + "/releases");
        reads.add(deploy + "/hosts");
        reads.add(dns + "/records");
        for (String id : releases) {
            reads.add(gateway + "/releases/" + id);
            reads.add(build + "/builds/" + id);
            reads.add(build + "/builds/" + id + "/log");
            reads.add(deploy + "/releases/" + id);
        }
        for (String url : reads) {
            // the API answers a viewer, and nobody without a token (20.6 on the real suite)
            get(url, viewer);
            HttpResponse<String> anonymous = record("GET " + url, suite.get(url, null));
            assertEquals(401, anonymous.statusCode(), "GET " + url + " without a token");
            assertEquals(
                    "Bearer realm=\"canary-release\"",
                    anonymous.headers().firstValue("WWW-Authenticate").orElse(null));
        }
        HttpResponse<String> refused =
                record("POST /reconcile (viewer)", suite.post(dns + "/reconcile", viewer, ""));
        assertEquals(403, refused.statusCode(), refused.body());
        HttpResponse<String> reconciled =
                record("POST /reconcile (operator)", suite.post(dns + "/reconcile", operator, ""));
        assertEquals(200, reconciled.statusCode(), reconciled.body());
        for (String base : List.of(gateway, build, registry, lb, deploy, dns)) {
            for (String path : List.of("/q/health", "/q/metrics", "/q/openapi")) {
                HttpResponse<String> r = record("GET " + base + path, suite.get(base + path, null));
                assertEquals(200, r.statusCode(), "GET " + base + path + " is open");
            }
        }
        for (String id : releases) {
            answers.add(sse(gateway + "/events?release=" + id, viewer));
        }
        answers.add(sse(gateway + "/events", viewer));
    }

    String get(String url, String token) {
        HttpResponse<String> r = record("GET " + url, suite.get(url, token));
        assertEquals(200, r.statusCode(), "GET " + url + ": " + r.body());
        return r.body();
    }

    HttpResponse<String> record(String what, HttpResponse<String> r) {
        answers.add(
                new Said(
                        "the answer to " + what,
                        r.statusCode() + " " + r.headers().map() + "\n" + r.body()));
        return r;
    }

    void awaitState(String id, String wanted) {
        String url = suite.env("GATEWAY_URL") + "/releases/" + id;
        Awaitility.await("release " + id + " reaches " + wanted)
                .atMost(STEP)
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            HttpResponse<String> r = suite.get(url, suite.env("VIEWER_TOKEN"));
                            Matcher m =
                                    Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"")
                                            .matcher(r.body());
                            String state = m.find() ? m.group(1) : "?";
                            if (Set.of("PROMOTED", "FAILED", "ROLLED_BACK", "ABORTED", "SUPERSEDED")
                                            .contains(state)
                                    && !state.equals(wanted)) {
                                throw new AssertionError(
                                        "release " + id + " ended " + state + ", not " + wanted);
                            }
                            return state.equals(wanted);
                        });
        answers.add(
                new Said(
                        "the answer to GET " + url,
                        suite.get(url, suite.env("VIEWER_TOKEN")).body()));
    }

    /** The SSE stream's backlog: everything it sends until it is quiet for 3 s (at most 60 s). */
    static Said sse(String url, String token) {
        StringBuilder body = new StringBuilder();
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setRequestProperty("Authorization", "Bearer " + token);
            c.setRequestProperty("Accept", "text/event-stream");
            c.setConnectTimeout(5000);
            c.setReadTimeout(3000);
            assertEquals(200, c.getResponseCode(), "GET " + url);
            body.append(c.getHeaderFields()).append('\n');
            try (BufferedReader in =
                    new BufferedReader(
                            new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                for (String line = in.readLine();
                        line != null && System.nanoTime() < deadline;
                        line = in.readLine()) {
                    body.append(line).append('\n');
                }
            } catch (SocketTimeoutException quiet) {
                // the backlog is sent: the stream waits for new events
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url, e);
        }
        assertTrue(body.indexOf("data:") >= 0, "the stream " + url + " sent events:\n" + body);
        return new Said("the SSE stream GET " + url, body.toString());
    }

    // ---- the secrets ---------------------------------------------------------------------------

    static final Pattern TSIG_SECRET = Pattern.compile("secret\\s+\"([^\"]+)\"");

    /** Every secret {@code dev/up} made, each with a name that says what it is. */
    static List<Secret> secrets(Path canary) throws IOException {
        List<Secret> out = new ArrayList<>();
        Path dir = canary.resolve("secrets");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = f.getFileName().toString();
                String text = Files.readString(f);
                switch (name) {
                    case "webhook-secret" -> out.add(new Secret("webhook secret", text.strip()));
                    case "registry-token" ->
                            out.add(new Secret("registry notification token", text.strip()));
                    case "tsig.key" -> {
                        Matcher m = TSIG_SECRET.matcher(text);
                        assertTrue(m.find(), "tsig.key has a secret");
                        out.add(new Secret("TSIG key secret", m.group(1)));
                    }
                    case "api-tokens" -> {
                        for (String line : text.split("\n")) {
                            String[] f3 = line.strip().split("\\s+");
                            if (f3.length == 3 && !f3[0].startsWith("#")) {
                                out.add(
                                        new Secret(
                                                "API token " + f3[1] + " (" + f3[0] + ")", f3[2]));
                            }
                        }
                    }
                    default -> {
                        // any other secret a later change adds (a password, a key): every line
                        int n = 0;
                        for (String line : text.split("\n")) {
                            n++;
                            if (line.strip().length() >= 16 && !line.startsWith("#")) {
                                out.add(
                                        new Secret(
                                                "secrets/" + name + ", line " + n, line.strip()));
                            }
                        }
                    }
                }
            }
        }
        for (String folder : List.of("ssh", "tls")) {
            try (Stream<Path> files = Files.walk(canary.resolve(folder))) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    out.addAll(privateKeyLines(canary, f));
                }
            }
        }
        return out;
    }

    /**
     * The base64 lines of a PEM or OpenSSH private key (OpenSSH's first line is the same header in
     * every key, not key material, so it is left out).
     */
    static List<Secret> privateKeyLines(Path canary, Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<Secret> out = new ArrayList<>();
        boolean in = false;
        boolean first = true;
        boolean openssh = false;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.startsWith("-----BEGIN") && l.contains("PRIVATE KEY")) {
                in = true;
                first = true;
                openssh = l.contains("OPENSSH");
                continue;
            }
            if (l.startsWith("-----END")) {
                in = false;
                continue;
            }
            if (in && l.length() >= 16) {
                if (!(first && openssh)) {
                    out.add(
                            new Secret(
                                    canary.relativize(file) + ", private key line " + (i + 1), l));
                }
                first = false;
            }
        }
        return out;
    }

    // ---- what the suite wrote ----------------------------------------------------------------

    /** Every log under {@code .canary}: the processes' logs and the per-build logs. */
    static List<Said> logs(Path canary) throws IOException {
        List<Said> out = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(canary.resolve("logs"))) {
            files.addAll(s.filter(Files::isRegularFile).toList());
        }
        try (Stream<Path> s = Files.walk(canary.resolve("services"))) {
            files.addAll(
                    s.filter(Files::isRegularFile)
                            .filter(p -> p.getFileName().toString().contains(".log"))
                            .toList());
        }
        assertTrue(
                files.stream()
                        .map(p -> p.getFileName().toString())
                        .toList()
                        .containsAll(
                                List.of(
                                        "registry.log",
                                        "haproxy.log",
                                        "named.log",
                                        "sshd.log",
                                        "gateway.log",
                                        "build-service.log")),
                "the suite's logs are there: " + files);
        for (Path f : files) {
            out.add(
                    new Said(
                            canary.getParent().relativize(f).toString(),
                            new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)));
        }
        return out;
    }

    /** Every record of every topic, from the beginning: key, headers and value, as text. */
    static List<Said> topics(String bootstrap) throws Exception {
        Set<String> topics;
        // as the read-only monitor principal of .canary/env, which sees every topic
        try (Admin admin = Admin.create(KafkaClients.config(bootstrap, KafkaPrincipals.MONITOR))) {
            topics = admin.listTopics().names().get();
        }
        assertTrue(
                topics.containsAll(List.of("gateway.events", "build.events")), "topics " + topics);
        Properties p = new Properties();
        p.putAll(KafkaClients.config(bootstrap, KafkaPrincipals.MONITOR));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "monitor-e2e-no-secret-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<Said> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                for (PartitionInfo i : consumer.partitionsFor(t)) {
                    parts.add(new TopicPartition(t, i.partition()));
                }
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!caughtUp(consumer, end)) {
                assertTrue(System.nanoTime() < deadline, "read every topic to its end " + end);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    StringBuilder s = new StringBuilder();
                    s.append(text(r.key())).append('\n');
                    for (Header h : r.headers()) {
                        s.append(h.key()).append('=').append(text(h.value())).append('\n');
                    }
                    s.append(text(r.value()));
                    out.add(
                            new Said(
                                    "topic "
                                            + r.topic()
                                            + " partition "
                                            + r.partition()
                                            + " offset "
                                            + r.offset(),
                                    s.toString()));
                }
            }
        }
        assertTrue(!out.isEmpty(), "the topics hold records");
        return out;
    }

    static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        Collection<TopicPartition> parts = end.keySet();
        for (TopicPartition tp : parts) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    static String text(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }
}
