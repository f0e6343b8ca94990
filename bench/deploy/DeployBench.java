package dev.canaryrelease.bench;

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
import java.util.UUID;
import java.util.function.Predicate;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.TestTokens;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;
import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.RegistryServer;
import dev.canaryrelease.testsupport.infra.SshServer;

/**
 * Prints: the swap time on one engine through deploy-service (host.drained → host.updated, which
 * includes pull-by-digest check, inspect, stop, rename, create, start and the health check) against
 * {@code docker stop && docker rm && docker run} by hand plus the same health wait; and the time of
 * a rollback of 3 hosts (rollback.requested → release.rolled-back) with the bench answering for
 * lb-service at once.
 */
public final class DeployBench {
    static final String C = "example-app";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    static final Duration T = Duration.ofSeconds(120);

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        int asked = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        // even, so docker0 ends on v1 like the others and the rollback moves all 3 hosts
        int rounds = asked + asked % 2;
        int maxUnavailable = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String kafka = KafkaTestResource.bootstrapServers();
        try (RegistryServer registry = RegistryServer.start(null, null);
                DockerEngine d0 = DockerEngine.start("docker0");
                DockerEngine d1 = DockerEngine.start("docker1");
                DockerEngine d2 = DockerEngine.start("docker2");
                SshServer ssh1 = SshServer.start(d1)) {
            // the registry wants credentials: the CLIs log in (docker0 pushes as CI)
            registry.login(d0, "ci-user");
            registry.login(d1, "deploy-service");
            registry.login(d2, "deploy-service");
            String v1 = ExampleApp.buildAndPush(d0, registry.address(), "example-app", "v1", "v1", false);
            String v2 = ExampleApp.buildAndPush(d0, registry.address(), "example-app", "v2", "v2", false);
            String repo = registry.address() + "/example-app";
            for (DockerEngine e : List.of(d0, d1, d2)) {
                e.docker("pull", "-q", repo + "@" + v1).orThrow();
                e.docker("pull", "-q", repo + "@" + v2).orThrow();
                ExampleApp.run(e, repo + ":v1", C, e.hostAddress(), 3000, e.name());
            }

            // --- by hand on docker0 -------------------------------------------------------------
            List<Long> hand = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                String image = repo + "@" + (i % 2 == 0 ? v2 : v1);
                long t0 = System.nanoTime();
                d0.docker("stop", C).orThrow();
                d0.docker("rm", C).orThrow();
                d0.docker("run", "-d", "--pull", "never", "--init", "--name", C, "-p",
                                d0.hostAddress() + ":3000:3000", "--restart", "unless-stopped",
                                "-e", "CANARY_HOST=docker0", image)
                        .orThrow();
                waitHealthy(d0);
                hand.add((System.nanoTime() - t0) / 1_000_000);
            }
            d0.docker("rm", "-f", C).orThrow();
            ExampleApp.run(d0, repo + ":v1", C, d0.hostAddress(), 3000, "docker0");

            // --- deploy-service as its own process --------------------------------------------
            Path fleet = writeFleet(registry, d0, d1, d2, ssh1, maxUnavailable);
            int port = FreePorts.pick();
            Path log = Files.createTempFile("deploy-bench", ".log");
            ProcessBuilder pb =
                    new ProcessBuilder("java", "-Dquarkus.http.port=" + port, "-jar", jar.toString());
            pb.environment().put("CANARY_FLEET", fleet.toString());
            pb.environment().put("KAFKA_BOOTSTRAP", kafka);
            pb.environment().put("CANARY_API_TOKENS_FILE", TestTokens.write().toString());
            pb.environment().put("CANARY_REGISTRY_PASSWORD_FILE",
                    registry.credentials("deploy-service").passwordFile().toString());
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            Process svc = pb.start();
            System.out.println("deploy-service pid " + svc.pid() + ", log " + log);
            try (EventSender registryEv = new EventSender(kafka, "registry-service");
                    EventSender lb = new EventSender(kafka, "lb-service");
                    EventSender gateway = new EventSender(kafka, "gateway");
                    EventCapture capture = EventCapture.start(kafka, Topics.DEPLOY)) {
                waitReady(port, svc, log);
                List<Long> service = new ArrayList<>();
                for (int i = 0; i < rounds; i++) {
                    String rel = "bench-" + UUID.randomUUID();
                    String digest = i % 2 == 0 ? v2 : v1;
                    registryEv.send(new ImagePushed(rel, "example", "example-app", "t", digest));
                    EventEnvelope<CanaryEvent> req = await(capture, e -> e.releaseId().equals(rel)
                            && e.data() instanceof HostUpdateRequested);
                    HostUpdateRequested r = (HostUpdateRequested) req.data();
                    long t0 = System.nanoTime();
                    EventEnvelope<HostDrained> drained =
                            lb.send(req, new HostDrained(rel, "example", r.host(), r.stage(), 0, 0, false));
                    EventEnvelope<CanaryEvent> upd = await(capture, e -> drained.id().equals(e.causationId()));
                    service.add((System.nanoTime() - t0) / 1_000_000);
                    if (upd.type() != EventType.HOST_UPDATED) throw new IllegalStateException(upd.toString());
                    lb.send(upd, new HostEnabled(rel, "example", r.host(), r.stage()));
                    await(capture, e -> e.releaseId().equals(rel) && e.type() == EventType.CANARY_LIVE);
                }

                // --- rollback of 3 hosts --------------------------------------------------------
                String rel = "bench-rb-" + UUID.randomUUID();
                registryEv.send(new ImagePushed(rel, "example", "example-app", "t", v2));
                Responder lbBot = new Responder(capture, lb, rel);
                lbBot.cycleUntil(EventType.CANARY_LIVE);
                EventEnvelope<CanaryEvent> live = lbBot.last(EventType.CANARY_LIVE);
                gateway.send(live, new PromotionRequested(rel, "example", "bench", null));
                lbBot.cycleUntil(EventType.RELEASE_PROMOTED);
                long t0 = System.nanoTime();
                gateway.send(new RollbackRequested(rel, "example", "bench", null));
                lbBot.cycleUntil(EventType.RELEASE_ROLLED_BACK);
                long rollback = (System.nanoTime() - t0) / 1_000_000;
                for (DockerEngine e : List.of(d0, d1, d2)) {
                    String page = page(e);
                    if (!page.contains("example-app v1")) {
                        throw new IllegalStateException(e.name() + " after rollback: " + page);
                    }
                }

                System.out.println();
                System.out.println("deploy-service benchmark (" + rounds + " rounds, docker0 = dockerd over TLS, docker-api driver)");
                System.out.printf("  swap by hand (stop && rm && run + health)     median %5d ms  all %s%n", median(hand), hand);
                System.out.printf("  swap through deploy-service (drained→updated) median %5d ms  all %s%n", median(service), service);
                System.out.printf("  ratio service/hand                            %.2f (target <= 1.3)%n",
                        (double) median(service) / median(hand));
                System.out.printf("  rollback of 3 hosts (docker0 TLS, docker1 ssh, docker2 TLS), maxUnavailable %d,%n"
                        + "    rollback.requested → release.rolled-back   %5d ms (target <= 3000)%n", maxUnavailable, rollback);
            } finally {
                svc.destroy();
                svc.waitFor();
            }
        }
        System.exit(0);
    }

    /** Plays lb-service for one release: drains and enables at once, until an event type. */
    static final class Responder {
        final EventCapture capture;
        final EventSender lb;
        final String rel;
        final java.util.Set<String> answered = new java.util.HashSet<>();

        Responder(EventCapture capture, EventSender lb, String rel) {
            this.capture = capture;
            this.lb = lb;
            this.rel = rel;
        }

        EventEnvelope<CanaryEvent> last(EventType type) {
            return capture.events(rel).stream().filter(e -> e.type() == type).reduce((a, b) -> b).orElseThrow();
        }

        void cycleUntil(EventType end) throws InterruptedException {
            long deadline = System.nanoTime() + T.toNanos();
            while (System.nanoTime() < deadline) {
                for (EventEnvelope<CanaryEvent> e : capture.events(rel)) {
                    if (e.type() == end) return;
                    if (!answered.add(e.id())) continue;
                    if (e.data() instanceof HostUpdateRequested r) {
                        lb.send(e, new HostDrained(rel, r.app(), r.host(), r.stage(), 0, 0, false));
                    } else if (e.data() instanceof HostUpdated u) {
                        lb.send(e, new HostEnabled(rel, u.app(), u.host(), u.stage()));
                    } else if (e.type() == EventType.HOST_UPDATE_FAILED || e.type() == EventType.RELEASE_FAILED) {
                        throw new IllegalStateException("bench release failed: " + e.data());
                    }
                }
                Thread.sleep(2); // polling the captured stream
            }
            throw new IllegalStateException("no " + end + " within " + T);
        }
    }

    static EventEnvelope<CanaryEvent> await(EventCapture c, Predicate<EventEnvelope<CanaryEvent>> p) {
        return c.await(p, T);
    }

    static long median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    static String page(DockerEngine e) {
        try {
            return HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://" + e.hostAddress() + ":3000/")).build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException | InterruptedException ex) {
            return "error " + ex;
        }
    }

    static void waitHealthy(DockerEngine e) throws InterruptedException {
        URI uri = URI.create("http://" + e.hostAddress() + ":3000/health");
        long deadline = System.nanoTime() + T.toNanos();
        long pause = 25;
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                                        HttpResponse.BodyHandlers.discarding())
                                .statusCode() / 100 == 2) return;
            } catch (IOException ex) {
                // not up yet
            }
            Thread.sleep(pause); // same back-off as the service's health wait
            pause = Math.min(pause * 2, 250);
        }
        throw new IllegalStateException("not healthy: " + uri);
    }

    static void waitReady(int port, Process svc, Path log) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            if (!svc.isAlive()) throw new IllegalStateException("deploy-service exited:\n" + Files.readString(log));
            try {
                if (HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode() == 200) return;
            } catch (IOException ex) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("deploy-service not ready:\n" + Files.readString(log));
    }

    static Path writeFleet(RegistryServer reg, DockerEngine d0, DockerEngine d1, DockerEngine d2,
            SshServer ssh1, int maxUnavailable) throws IOException {
        Path f = TestFleet.builder()
                .file("tsig.key", "c2VjcmV0\n")
                .registry(reg.address(), reg.url(), reg.ca().toString())
                .dns("""
                        dns:
                          server: "127.0.0.1:5353"
                          tsig: {name: canary-release, secretFile: tsig.key}
                        """)
                .host("cfgmgr", "127.0.0.10")
                .host("docker0", d0.hostAddress(), "canary", engine(d0))
                .host("docker1", d1.hostAddress(), null,
                        ("{driver: ssh, endpoint: \"unix://%s\", ssh: {host: \"%s\", port: %d, user: %s,"
                                + " privateKey: \"%s\", knownHosts: \"%s\"}}").formatted(
                                d1.unixSocket(), ssh1.host(), ssh1.port(), ssh1.user(),
                                ssh1.privateKey(), ssh1.knownHosts()))
                .host("docker2", d2.hostAddress(), null, engine(d2))
                .loadBalancer("cfgmgr", "unix:///tmp/haproxy-bench.sock", "http://127.0.0.10:8000")
                .app("example", "repository: proserveau/example-app, image: example-app,"
                        + " container: example-app, port: 3000, healthPath: /health")
                .rollout("""
                        canary: [docker0]
                        steps: ["100%%"]
                        maxUnavailable: %d
                        """.formatted(maxUnavailable))
                .writeIn(Files.createTempDirectory("bench-fleet"));
        System.setProperty("bench.fleet", f.toString());
        return f;
    }

    private static String engine(DockerEngine d) {
        return TestFleet.dockerApi(d.tcpEndpoint(), d.clientTls().ca().toString(),
                d.clientTls().cert().toString(), d.clientTls().key().toString());
    }
}
