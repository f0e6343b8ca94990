package dev.canaryrelease.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.events.topics.Retention;
import dev.canaryrelease.events.topics.TopicCatalogue;
import dev.canaryrelease.events.topics.TopicGuard;
import dev.canaryrelease.events.topics.TopicsConfig;
import dev.canaryrelease.testsupport.KafkaTls;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * {@code bench/replay}: seeds RELEASES releases of history into a real broker (KafkaBrokerMain, its
 * own process), then starts each service twice and prints the time to ready and the RSS of each
 * start: the first start builds the service's snapshot from the event topics (the first start
 * after an upgrade), the second is a restart. A service is a {@link Service}: the gateway and
 * deploy-service, each with its jar, its environment, its readiness URL and its snapshot topic
 * (the bench waits until the snapshot's checkpoint covers the seeded history before it reads the
 * RSS). One {@link Seeder} writes every topic, deploy-service's own events caused as it causes
 * them (its rollout: canary docker0, then docker1 and docker2 one at a time).
 *
 * <pre>ReplayBench &lt;work dir&gt; &lt;kafka classpath&gt; &lt;gateway jar&gt; &lt;deploy jar&gt; [releases] [services]</pre>
 */
public final class ReplayBench {
    /** Writes a service's history: one release's events per call. */
    interface Seeder {
        void release(int n, Emit emit);
    }

    interface Emit {
        EventEnvelope<?> send(EventEnvelope<?> cause, String source, CanaryEvent data);
    }

    /** One service under the bench. */
    record Service(
            String name,
            Path jar,
            Map<String, String> env,
            String readyPath,
            String snapshotTopic,
            String checkpointKey) {}

    /** One start of a service. */
    record Start(String service, String kind, long readyMillis, long rssKb, long hwmKb, String note) {}

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String JVM_OPTS =
            System.getProperty(
                    "bench.jvm", "-Xms32m -Xmx256m -Xmn12m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:+UseSerialGC -XX:TieredStopAtLevel=1");

    private ReplayBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        String kafkaCp = args[1];
        Path gatewayJar = Path.of(args[2]);
        Path deployJar = Path.of(args[3]);
        int releases = args.length > 4 ? Integer.parseInt(args[4]) : 10_000;
        String services = args.length > 5 ? args[5] : "gateway,deploy";
        List<Process> started = new ArrayList<>();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));

        int kafkaPort = freePort();
        // mutual TLS and ACLs as in dev/up: the certificates first, the broker keeps them
        Path tlsDir = work.resolve("tls");
        KafkaTls tls = KafkaTls.create(tlsDir);
        Process kafka =
                new ProcessBuilder(
                                "java", "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-cp", kafkaCp,
                                "dev.canaryrelease.testsupport.KafkaBrokerMain",
                                Integer.toString(kafkaPort), Integer.toString(freePort()),
                                work.resolve("kafka").toString(), tlsDir.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(work.resolve("kafka.log").toFile())
                        .start();
        started.add(kafka);
        awaitLog(work.resolve("kafka.log"), "kafka ready", Duration.ofSeconds(60));
        String bootstrap = "127.0.0.1:" + kafkaPort;

        long t0 = System.nanoTime();
        Map<String, Object> admin = new HashMap<>(tls.client(KafkaPrincipals.BROKER));
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        Map<String, Object> monitor = new HashMap<>(tls.client(KafkaPrincipals.MONITOR));
        monitor.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        long events = seed(admin, releases, List.of(ReplayBench::gatewayRelease));
        System.out.printf(
                "seeded %d releases (%d events) in %d ms%n",
                releases, events, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        Path files = work.resolve("gateway");
        Files.createDirectories(files);
        Files.writeString(files.resolve("webhook-secret"), "bench-secret-" + UUID.randomUUID() + "\n");
        Files.writeString(files.resolve("tokens"), "viewer bench bench-" + UUID.randomUUID() + "\n");
        String token = Files.readString(files.resolve("tokens")).trim().split(" ")[2];
        Path fleet = fleet(work);
        Map<String, String> common =
                Map.of(
                        "CANARY_FLEET", fleet.toString(),
                        "KAFKA_BOOTSTRAP", bootstrap,
                        "CANARY_KAFKA_TLS_DIR", tlsDir.toString(),
                        // as dev/up runs the services
                        "MALLOC_ARENA_MAX", "2");
        Map<String, String> gatewayEnv = new HashMap<>(common);
        gatewayEnv.put(
                "CANARY_GATEWAY_WEBHOOK_SECRET_FILE", files.resolve("webhook-secret").toString());
        gatewayEnv.put("CANARY_GATEWAY_TOKENS_FILE", files.resolve("tokens").toString());
        // the in-memory bound of settled releases (default 20 000): set lower to bench the pages
        String bound = System.getenv("CANARY_GATEWAY_INDEX_RELEASES");
        if (bound != null) {
            gatewayEnv.put("CANARY_GATEWAY_INDEX_RELEASES", bound);
        }
        Service gateway =
                new Service(
                        "gateway",
                        gatewayJar,
                        gatewayEnv,
                        "/q/health/ready",
                        Topics.GATEWAY_RELEASES,
                        "checkpoint");
        Map<String, String> deployEnv = new HashMap<>(common);
        deployEnv.put("CANARY_API_TOKENS_FILE", files.resolve("tokens").toString());
        // the bench has no Docker engines: no scan of the hosts at start
        deployEnv.put("CANARY_DEPLOY_RECOVER_AT_START", "false");
        // the first start after the upgrade replays the whole history once, under the default
        // canary.deploy.replay-timeout (a stall timeout: 60 s without progress)
        Service deploy =
                new Service(
                        "deploy-service",
                        deployJar,
                        deployEnv,
                        "/q/health/ready",
                        Topics.DEPLOY_RELEASES,
                        "state");

        List<Start> results = new ArrayList<>();
        Map<String, Long> end = endOffsets(monitor);
        for (Service s : services.contains("deploy") && services.contains("gateway")
                ? List.of(gateway, deploy)
                : services.contains("deploy") ? List.of(deploy) : List.of(gateway)) {
            results.add(run(s, work, "first start (from the event topics)", token, started, monitor, end));
            results.add(run(s, work, "restart", token, started, monitor, end));
        }
        System.out.println();
        System.out.printf(
                "%-15s %-36s %12s %10s %10s  %s%n",
                "service", "start", "ready ms", "RSS MB", "peak MB", "");
        for (Start r : results) {
            System.out.printf(
                    "%-15s %-36s %12d %10d %10d  %s%n",
                    r.service(), r.kind(), r.readyMillis(), r.rssKb() / 1024, r.hwmKb() / 1024,
                    r.note());
        }
        kafka.destroy();
        kafka.waitFor(30, TimeUnit.SECONDS);
    }

    private static Start run(
            Service s,
            Path work,
            String kind,
            String token,
            List<Process> started,
            Map<String, Object> monitor,
            Map<String, Long> end)
            throws Exception {
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add("java");
        cmd.addAll(List.of(JVM_OPTS.trim().split("\\s+")));
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-jar");
        cmd.add(s.jar().toString());
        ProcessBuilder pb =
                new ProcessBuilder(cmd)
                        .directory(work.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(
                                ProcessBuilder.Redirect.appendTo(
                                        work.resolve(s.name() + ".log").toFile()));
        pb.environment().putAll(s.env());
        long t0 = System.nanoTime();
        Instant startedAt = Instant.now();
        Process p = pb.start();
        started.add(p);
        String base = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (status(base + s.readyPath(), null) != 200) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(s.name() + " did not get ready: see " + work);
            }
            Thread.sleep(20);
        }
        long ready = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // what an operator does next: the newest page, and one old release (read from the store)
        String note;
        if (s.name().equals("gateway")) {
            int list = status(base + "/releases?size=200", token);
            String oldest = oldest(base, token);
            int old = oldest == null ? -1 : status(base + "/releases/" + oldest, token);
            note = "GET /releases " + list + ", GET oldest release " + old;
        } else {
            note = "GET oldest release " + status(base + "/releases/" + firstRelease, token);
        }
        // the snapshot of a first start is written at its next interval: wait until its
        // checkpoint covers every event seeded
        long written = System.nanoTime();
        awaitCheckpoint(monitor, s, end, p);
        note +=
                ", snapshot covers the history "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written)
                        + " ms after ready";
        long[] mem = memory(p.pid());
        p.destroy(); // SIGTERM: the gateway writes its last snapshot and stops
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        // the service's own account of its start
        // (the suite's own lines, up to ready, with the process's start to place them: the phases)
        System.out.println(
                "  "
                        + s.name()
                        + " "
                        + kind
                        + ": process started at "
                        + startedAt.toString().substring(11, 23)
                        + " (UTC), ready "
                        + ready
                        + " ms later");
        for (String l : Files.readAllLines(work.resolve(s.name() + ".log"))) {
            if (l.contains("release index read")
                    || l.contains("snapshot read")
                    || l.contains("releases rebuilt")
                    || l.contains("caught up")
                    || l.contains("records read (")
                    || l.contains("replaying the read model for")
                    || l.contains("[de.ca.ev.to.")
                    || l.contains("started in")) {
                System.out.println("  " + s.name() + " log: " + l);
            }
        }
        Files.move(
                work.resolve(s.name() + ".log"),
                work.resolve(s.name() + "-" + kind.replaceAll("\\W+", "-") + ".log"));
        return new Start(s.name(), kind, ready, mem[0], mem[1], note);
    }

    private static String oldest(String base, String token) throws Exception {
        HttpResponse<String> first =
                HTTP.send(
                        HttpRequest.newBuilder(URI.create(base + "/releases?size=1"))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        var total = CloudEventCodec.JSON.readTree(first.body()).get("total").asLong();
        HttpResponse<String> last =
                HTTP.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                base + "/releases?size=1&page=" + (total - 1)))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        var items = CloudEventCodec.JSON.readTree(last.body()).get("items");
        return items.isEmpty() ? null : items.get(0).get("id").asText();
    }

    private static int status(String url, String token) {
        try {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
            if (token != null) b.header("Authorization", "Bearer " + token);
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** VmRSS and VmHWM of the process, kB. */
    private static long[] memory(long pid) throws IOException {
        long rss = -1;
        long hwm = -1;
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", ""));
            if (l.startsWith("VmHWM:")) hwm = Long.parseLong(l.replaceAll("\\D", ""));
        }
        return new long[] {rss, hwm};
    }

    /** The id of the first (oldest) release seeded. */
    static volatile String firstRelease;

    /**
     * The end offset of every {@code *.events} partition, as {@code topic:partition}, once seeded.
     */
    static Map<String, Long> endOffsets(Map<String, Object> client) throws Exception {
        Map<String, Long> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = consumer(client)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : Topics.ALL) {
                c.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
            }
            c.endOffsets(parts).forEach((tp, o) -> out.put(tp.topic() + ":" + tp.partition(), o));
        }
        return out;
    }

    private static KafkaConsumer<String, byte[]> consumer(Map<String, Object> client) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(c);
    }

    /**
     * Polls the service's snapshot topic until its newest checkpoint record ({@code next}: the
     * next offset of each event partition it covers) covers {@code end}.
     */
    private static void awaitCheckpoint(
            Map<String, Object> monitor, Service s, Map<String, Long> end, Process p)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        try (KafkaConsumer<String, byte[]> c = consumer(monitor)) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(s.snapshotTopic())
                    .forEach(i -> parts.add(new TopicPartition(s.snapshotTopic(), i.partition())));
            c.assign(parts);
            while (System.nanoTime() < deadline && p.isAlive()) {
                Map<TopicPartition, Long> last = c.endOffsets(parts);
                for (TopicPartition tp : parts) c.seek(tp, Math.max(0, last.get(tp) - 200));
                Map<String, Long> next = null;
                while (parts.stream().anyMatch(tp -> c.position(tp) < last.get(tp))) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (s.checkpointKey().equals(r.key()) && r.value() != null) {
                            next = new HashMap<>();
                            var it = CloudEventCodec.JSON.readTree(r.value()).get("next").fields();
                            while (it.hasNext()) {
                                var f = it.next();
                                next.put(f.getKey(), f.getValue().asLong());
                            }
                        }
                    }
                }
                if (next != null && covers(next, end)) return;
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(s.name() + " did not write a snapshot covering " + end);
    }

    private static boolean covers(Map<String, Long> next, Map<String, Long> end) {
        for (Map.Entry<String, Long> e : end.entrySet()) {
            if (e.getValue() > 0 && next.getOrDefault(e.getKey(), 0L) < e.getValue()) return false;
        }
        return true;
    }

    /**
     * A promoted release over three hosts, as today's suite writes one: 25 events on 5 topics,
     * among them deploy-service's six {@code release.phase-changed} announcements, each after the
     * effects of the event that moved the phase and caused by it (as {@code ReleaseMachine} emits
     * them), so deploy-service's first start finds every announcement done and owes none.
     */
    static void gatewayRelease(int n, Emit emit) {
        String id = UUID.randomUUID().toString();
        if (n == 0) firstRelease = id;
        String sha = String.format("%040x", (long) n * 7919 + 1);
        String digest = "sha256:" + String.format("%064x", (long) n * 104729 + 3);
        EventEnvelope<?> e =
                emit.send(
                        null,
                        "gateway",
                        new BuildRequested(
                                id,
                                "example",
                                "proserveau/example-app",
                                "https://github.com/proserveau/example-app.git",
                                "refs/heads/main",
                                sha,
                                "octocat",
                                UUID.randomUUID().toString()));
        e = emit.send(e, "build-service", new BuildStarted(id, "example", sha, null));
        phase(emit, e, id, Phase.BUILDING, Phase.PENDING);
        e =
                emit.send(
                        e,
                        "build-service",
                        new BuildSucceeded(
                                id, "example", "example", sha.substring(0, 12), digest, 900, null));
        phase(emit, e, id, Phase.BUILT, Phase.BUILDING);
        EventEnvelope<?> pushed =
                emit.send(
                        e,
                        "registry-service",
                        new ImagePushed(id, "example", "example", sha.substring(0, 12), digest));
        e = emit.send(pushed, "deploy-service", new HostUpdateRequested(id, "example", "docker0", Stage.CANARY, digest));
        phase(emit, pushed, id, Phase.CANARY_UPDATING, Phase.BUILT);
        e = hostAfterRequest(emit, e, id, "docker0", Stage.CANARY, digest);
        emit.send(e, "deploy-service", new CanaryLive(id, "example", List.of("docker0"), digest));
        // the operator's command names the release's latest event: the CANARY_LIVE announcement
        EventEnvelope<?> live = phase(emit, e, id, Phase.CANARY_LIVE, Phase.CANARY_UPDATING);
        EventEnvelope<?> promote =
                emit.send(
                        live,
                        "gateway",
                        new PromotionRequested(id, "example", "operator-" + (n % 7), "bench release " + n));
        e = emit.send(promote, "deploy-service", new HostUpdateRequested(id, "example", "docker1", Stage.PROMOTION, digest));
        phase(emit, promote, id, Phase.PROMOTING, Phase.CANARY_LIVE);
        e = hostAfterRequest(emit, e, id, "docker1", Stage.PROMOTION, digest);
        e = host(emit, e, id, "docker2", Stage.PROMOTION, digest);
        emit.send(e, "deploy-service", new ReleasePromoted(id, "example", digest, "promoted"));
        phase(emit, e, id, Phase.PROMOTED, Phase.PROMOTING);
    }

    private static EventEnvelope<?> phase(
            Emit emit, EventEnvelope<?> cause, String id, Phase phase, Phase from) {
        return emit.send(
                cause, "deploy-service", new ReleasePhaseChanged(id, "example", phase, from));
    }

    private static EventEnvelope<?> host(
            Emit emit, EventEnvelope<?> e, String id, String host, Stage stage, String digest) {
        e = emit.send(e, "deploy-service", new HostUpdateRequested(id, "example", host, stage, digest));
        return hostAfterRequest(emit, e, id, host, stage, digest);
    }

    /** lb-service's drain, deploy-service's swap and lb-service's enable after a request. */
    private static EventEnvelope<?> hostAfterRequest(
            Emit emit, EventEnvelope<?> request, String id, String host, Stage stage, String digest) {
        EventEnvelope<?> e =
                emit.send(
                        request,
                        "lb-service",
                        new HostDrained(id, "example", host, stage, 1, 40, false));
        e = emit.send(e, "deploy-service", new HostUpdated(id, "example", host, stage, digest, null));
        return emit.send(e, "lb-service", new HostEnabled(id, "example", host, stage));
    }

    /**
     * Writes {@code releases} releases of each seeder, spread over the past (one every 10 minutes,
     * each event a second after its cause), and returns the number of events.
     */
    static long seed(Map<String, Object> admin, int releases, List<Seeder> seeders)
            throws Exception {
        new TopicGuard(admin, new TopicCatalogue(BenchTopics.INSTANCE), Duration.ofSeconds(60))
                .ensure(Topics.ALL);
        // as the broker's own principal: one producer for every writer's topic
        Map<String, Object> p = new HashMap<>(admin);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        long[] count = {0};
        Instant start = Instant.now().minus(Duration.ofMinutes(10L * releases + 60));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            List<Future<RecordMetadata>> last = new ArrayList<>();
            for (int n = 0; n < releases; n++) {
                Instant[] clock = {start.plus(Duration.ofMinutes(10L * n))};
                Emit emit =
                        (cause, source, data) -> {
                            clock[0] = clock[0].plusSeconds(1);
                            EventEnvelope<CanaryEvent> ev =
                                    new EventEnvelope<>(
                                            UUID.randomUUID().toString(),
                                            EventType.of(data),
                                            EventEnvelope.sourceOf(source),
                                            data.releaseId(),
                                            clock[0].truncatedTo(ChronoUnit.MICROS),
                                            cause == null ? null : cause.id(),
                                            data);
                            CloudEventCodec.Encoded enc = CloudEventCodec.encode(ev);
                            last.add(
                                    producer.send(
                                            new ProducerRecord<>(
                                                    ev.type().topic(),
                                                    null,
                                                    enc.key(),
                                                    enc.value(),
                                                    enc.headers())));
                            count[0]++;
                            return ev;
                        };
                for (Seeder s : seeders) {
                    s.release(n, emit);
                }
                if (last.size() > 20_000) {
                    for (Future<RecordMetadata> f : last) f.get();
                    last.clear();
                }
            }
            producer.flush();
            for (Future<RecordMetadata> f : last) f.get();
        }
        return count[0];
    }

    private static Path fleet(Path work) throws IOException {
        return TestFleet.reference()
                .host(
                        "docker1",
                        "127.0.0.12",
                        null,
                        TestFleet.dockerApi(
                                "tcp://127.0.0.12:2376", "tls/ca.pem", "tls/cert.pem", "tls/key.pem"))
                .loadBalancer(
                        "cfgmgr", "unix:///tmp/haproxy-replay-bench.sock", "http://127.0.0.10:8000")
                .app("example", "repository: proserveau/example-app, branch: main, port: 3000")
                .rollout(
                        """
                        canary: [docker0]
                        steps: ["1"]
                        maxUnavailable: 1
                        """)
                .writeIn(work.resolve("fleet"));
    }

    private static void awaitLog(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException("no '" + text + "' in " + log);
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The single broker's topic settings (TopicsConfig's defaults). */
    enum BenchTopics implements TopicsConfig {
        INSTANCE;

        @Override
        public int partitions() {
            return 1;
        }

        @Override
        public short replicationFactor() {
            return 1;
        }

        @Override
        public int minInsyncReplicas() {
            return 1;
        }

        @Override
        public Retention eventsRetention() {
            return Retention.FOREVER;
        }

        @Override

        public java.time.Duration snapshotSegment() {

            return java.time.Duration.ofHours(1);

        }


        @Override
        public Retention deadLetterRetention() {
            return Retention.of("30d");
        }

        @Override
        public Duration startTimeout() {
            return Duration.ofSeconds(60);
        }

        @Override
        public boolean checkAtStart() {
            return true;
        }
    }
}
