import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.TestTokens;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;
import dev.canaryrelease.testsupport.infra.ExecResult;
import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.RegistryServer;

/**
 * build-service against the same work by hand. Starts a real dockerd (TLS), a docker-registry, an
 * embedded Kafka broker, a bare git repository of the example app and build-service (the packaged
 * jar), then, for each round, commits a new version of the app and builds + pushes it once through
 * the service (build.requested → build.succeeded on the topic) and once by hand ({@code git clone
 * && docker build && docker push} on the same engine, legacy builder as the service), alternating
 * which goes first. Prints every round, the medians and the ratio service/hand.
 *
 * <p>Usage: {@code java -cp <test-support classpath> BuildBench.java <quarkus-run.jar> [rounds=5]}
 */
public class BuildBench {
    static Path work;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        work = Files.createTempDirectory("bench-build-");
        Process service = null;
        try (RegistryServer registry = RegistryServer.start();
                DockerEngine engine = DockerEngine.startWithUsernsRemap("docker0")) {
            Path bare = work.resolve("repos/proserveau/example-app.git");
            Path src = work.resolve("src");
            git(null, "init", "-q", "--bare", "-b", "main", bare.toString());
            git(null, "init", "-q", "-b", "main", src.toString());
            git(src, "remote", "add", "origin", bare.toUri().toString());
            String bootstrap = KafkaTestResource.bootstrapServers();
            Path fleet = writeFleet(engine, registry);
            registry.login(engine, "ci-user"); // the by-hand pushes
            int port = FreePorts.pick();
            service =
                    new ProcessBuilder(
                                    "java",
                                    "-Xmx512m",
                                    "-Dquarkus.http.port=" + port,
                                    "-Dkafka.bootstrap.servers=" + bootstrap,
                                    "-Dcanary.fleet.path=" + fleet,
                                    "-Dcanary.data-dir=" + work.resolve("data"),
                                    "-Dcanary.api.tokens-file=" + TestTokens.write(),
                                    "-Dcanary.registry.password-file="
                                            + registry.credentials("build-service").passwordFile(),
                                    "-jar",
                                    jar.toString())
                            .redirectErrorStream(true)
                            .redirectOutput(work.resolve("service.log").toFile())
                            .start();
            awaitReady(port, service);
            try (EventSender sender = new EventSender(bootstrap, "gateway");
                    EventCapture capture = EventCapture.start(bootstrap, Topics.BUILD)) {
                List<Long> svc = new ArrayList<>();
                List<Long> hand = new ArrayList<>();
                System.out.printf("%-6s %12s %12s%n", "round", "service ms", "hand ms");
                for (int i = -1; i < rounds; i++) { // round -1 warms both paths up
                    long s;
                    long h;
                    if (i % 2 == 0) {
                        s = viaService(src, sender, capture, "s" + i);
                        h = byHand(src, bare, engine, registry, "h" + i);
                    } else {
                        h = byHand(src, bare, engine, registry, "h" + i);
                        s = viaService(src, sender, capture, "s" + i);
                    }
                    if (i >= 0) {
                        svc.add(s);
                        hand.add(h);
                    }
                    System.out.printf(
                            "%-6s %12d %12d%n", i < 0 ? "warmup" : String.valueOf(i), s, h);
                }
                long ms = median(svc);
                long mh = median(hand);
                System.out.printf(
                        "%nbuild+push of the example app (FROM scratch + busybox), %d rounds%n",
                        rounds);
                System.out.printf("service (build.requested → build.succeeded): median %d ms%n", ms);
                System.out.printf("by hand (git clone && docker build && docker push): median %d ms%n", mh);
                System.out.printf("ratio service/hand: %.2f (target ≤ 1.2)%n", (double) ms / mh);
                System.out.printf(
                        "ratio of totals: %.2f%n",
                        (double) svc.stream().mapToLong(x -> x).sum()
                                / hand.stream().mapToLong(x -> x).sum());
                System.out.printf("load average: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
                try (var logs = Files.list(work.resolve("data/logs"))) {
                    Path last =
                            logs.max(java.util.Comparator.comparing(p -> p.toFile().lastModified()))
                                    .orElseThrow();
                    System.out.println("\nthe service's log of its last build:");
                    System.out.print(Files.readString(last));
                }
            }
        } finally {
            if (service != null) {
                service.destroy();
                service.waitFor(20, TimeUnit.SECONDS);
            }
            new ProcessBuilder("rm", "-rf", work.toString()).inheritIO().start().waitFor();
            System.exit(0);
        }
    }

    static String commit(Path src, String version) throws IOException {
        ExampleApp.writeContext(src, version, false);
        git(src, "add", "-A");
        git(src, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", version);
        git(src, "push", "-q", "origin", "main");
        return git(src, "rev-parse", "HEAD").stdout().strip();
    }

    static long viaService(Path src, EventSender sender, EventCapture capture, String version)
            throws IOException {
        String sha = commit(src, version);
        String release = UUID.randomUUID().toString();
        long t0 = System.nanoTime();
        sender.send(
                new BuildRequested(
                        release,
                        "example",
                        "proserveau/example-app",
                        "https://github.com/proserveau/example-app.git",
                        "refs/heads/main",
                        sha,
                        "bench",
                        "bench-" + release));
        EventEnvelope<CanaryEvent> end =
                capture.await(
                        e ->
                                e.releaseId().equals(release)
                                        && (e.type() == EventType.BUILD_SUCCEEDED
                                                || e.type() == EventType.BUILD_FAILED),
                        Duration.ofMinutes(5));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (end.data() instanceof BuildFailed f) {
            throw new IllegalStateException("service build failed: " + f.reason());
        }
        return ms;
    }

    static long byHand(Path src, Path bare, DockerEngine engine, RegistryServer registry, String version)
            throws IOException {
        commit(src, version);
        Path clone = work.resolve("clone-" + version);
        String image = registry.address() + "/example-app:" + version;
        long t0 = System.nanoTime();
        git(null, "clone", "-q", bare.toUri().toString(), clone.toString());
        engine.docker(Duration.ofMinutes(5), "build", "-q", "-t", image, clone.toString()).orThrow();
        engine.docker(Duration.ofMinutes(5), "push", "-q", image).orThrow();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        exec(null, "rm", "-rf", clone.toString());
        return ms;
    }

    static ExecResult git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        return exec(dir, cmd.toArray(String[]::new)).orThrow();
    }

    static ExecResult exec(Path dir, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Path out = Files.createTempFile(work, "out", ".txt");
            Path err = Files.createTempFile(work, "err", ".txt");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            ExecResult r =
                    new ExecResult(List.of(cmd), p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Path writeFleet(DockerEngine engine, RegistryServer registry) throws IOException {
        return TestFleet.builder()
                .placeholders("tsig.key")
                .registry(registry.address())
                .dns(
                        """
                        dns:
                          server: "127.0.0.1:5353"
                          tsig: {name: canary-release, secretFile: tsig.key}
                        """)
                .git(
                        """
                        git:
                          urlRewrites:
                            - {insteadOf: "https://github.com/", url: "%s"}
                        """
                                .formatted(work.resolve("repos").toUri()))
                .build("docker0")
                .host(
                        "docker0",
                        "127.0.0.11",
                        "canary",
                        TestFleet.dockerApi(
                                engine.tcpEndpoint(),
                                engine.clientTls().ca().toString(),
                                engine.clientTls().cert().toString(),
                                engine.clientTls().key().toString()))
                .loadBalancer("cfgmgr", "unix:///tmp/haproxy-bench.sock", "http://127.0.0.10:8000")
                .app(
                        "example",
                        "repository: proserveau/example-app, image: example-app, port: 3000")
                .rollout("canary: [docker0]\nminReady: 0")
                .writeIn(work);
    }

    static void awaitReady(int port, Process service) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < until) {
            if (!service.isAlive()) {
                throw new IllegalStateException(
                        "build-service exited:\n" + Files.readString(work.resolve("service.log")));
            }
            try {
                int code =
                        http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                                                .build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                if (code == 200) {
                    return;
                }
            } catch (IOException e) {
                // not yet listening
            }
            Thread.sleep(300);
        }
        throw new IllegalStateException("build-service not ready in 120 s");
    }

    static long median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
