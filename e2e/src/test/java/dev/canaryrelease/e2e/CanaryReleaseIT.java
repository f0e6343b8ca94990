package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * Whole canary releases of the example app on the real local suite, under HTTP load on the HAProxy
 * front end the whole time: what an operator sees at the front end, on each host and through the
 * gateway, and what a monitoring tool reads from Kafka.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CanaryReleaseIT {
    static final Duration RELEASE_STEP = Duration.ofMinutes(4);
    static final Pattern PAGE = Pattern.compile("version=(\\S+) host=([^<\\s]+)");

    static Suite suite;
    static Fleet fleet;
    static EventCapture capture;

    @BeforeAll
    static void up() {
        suite = Suite.get();
        fleet = FleetLoader.load(Path.of(suite.env("CANARY_FLEET")));
        capture =
                EventCapture.start(suite.env("KAFKA_BOOTSTRAP"), Topics.ALL.toArray(String[]::new));
        // every host serves a healthy version before we start
        for (Fleet.Host h : fleet.dockerHosts()) {
            Awaitility.await("host " + h.name() + " serves the app")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> hostVersion(h).isPresent());
        }
    }

    @AfterAll
    static void down() {
        if (capture != null) capture.close();
    }

    // ---- helpers -------------------------------------------------------------------------------

    static String version(String body) {
        Matcher m = PAGE.matcher(body);
        return m.find() ? m.group(1) : "unrecognised page";
    }

    static Optional<String> hostVersion(Fleet.Host h) {
        String url = "http://" + h.address() + ":" + fleet.apps().get(0).port() + "/";
        try {
            HttpResponse<String> r = suite.get(url, null);
            return r.statusCode() == 200 ? Optional.of(version(r.body())) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static Map<String, String> versions() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Fleet.Host h : fleet.dockerHosts()) {
            m.put(h.name(), hostVersion(h).orElse("down"));
        }
        return m;
    }

    static String canary() {
        return fleet.rollout().canary().get(0);
    }

    static JsonPath release(String id) {
        HttpResponse<String> r =
                suite.get(suite.env("GATEWAY_URL") + "/releases/" + id, suite.env("VIEWER_TOKEN"));
        assertEquals(200, r.statusCode(), "GET /releases/" + id + ": " + r.body());
        return JsonPath.from(r.body());
    }

    static String state(String id) {
        return release(id).getString("state");
    }

    /**
     * The release's state, or {@code UNKNOWN} while the gateway's read model has not yet seen it:
     * the webhook answers with the release id before its first event is read back.
     */
    static String stateOnceKnown(String id) {
        HttpResponse<String> r =
                suite.get(suite.env("GATEWAY_URL") + "/releases/" + id, suite.env("VIEWER_TOKEN"));
        if (r.statusCode() == 404) {
            return "UNKNOWN";
        }
        assertEquals(200, r.statusCode(), "GET /releases/" + id + ": " + r.body());
        return JsonPath.from(r.body()).getString("state");
    }

    static void awaitState(String id, Set<String> wanted) {
        Awaitility.await("release " + id + " reaches " + wanted)
                .atMost(RELEASE_STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> stateOnceKnown(id),
                        s -> {
                            if (isFinal(s) && !wanted.contains(s)) failWrong(id, s, wanted);
                            return wanted.contains(s);
                        });
    }

    static boolean isFinal(String s) {
        return Set.of("PROMOTED", "FAILED", "ROLLED_BACK", "ABORTED", "SUPERSEDED").contains(s);
    }

    static void failWrong(String id, String s, Set<String> wanted) {
        fail(
                "release "
                        + id
                        + " ended "
                        + s
                        + " instead of "
                        + wanted
                        + "; timeline: "
                        + capture.events(id).stream().map(CanaryReleaseIT::describe).toList()
                        + "\n"
                        + suite.warnings("deploy-service", 15)
                        + suite.warnings("lb-service", 15));
    }

    /** An event as the failure message shows it: its type, and its host and reason if any. */
    static String describe(EventEnvelope<CanaryEvent> e) {
        StringBuilder s = new StringBuilder(e.type().shortName());
        for (String field : List.of("host", "reason")) {
            for (var c : e.data().getClass().getRecordComponents()) {
                if (!c.getName().equals(field)) continue;
                try {
                    Object v = c.getAccessor().invoke(e.data());
                    if (v != null) s.append(' ').append(field).append('=').append(v);
                } catch (ReflectiveOperationException ex) {
                    s.append(' ').append(field).append("=?");
                }
            }
        }
        return s.toString();
    }

    static void command(String id, String verb, String reason) {
        HttpResponse<String> r =
                suite.post(
                        suite.env("GATEWAY_URL") + "/releases/" + id + "/" + verb,
                        suite.env("OPERATOR_TOKEN"),
                        "{\"reason\":\"" + reason + "\"}");
        assertEquals(202, r.statusCode(), verb + " answered: " + r.body());
    }

    static LoadLoop load() {
        return LoadLoop.start(
                suite.env("APP_URL") + "/", 4, Duration.ofMinutes(20), CanaryReleaseIT::version);
    }

    static void assertNoDrops(LoadLoop load) {
        assertEquals(0, load.bad(), "non-2xx responses at the front end: " + load);
        assertEquals(0, load.errors(), "connection errors at the front end: " + load);
    }

    /** Every host serves {@code version}. */
    static void awaitAllOn(String version) {
        Awaitility.await("every host serves " + version)
                .atMost(RELEASE_STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        CanaryReleaseIT::versions,
                        v -> v.values().stream().allMatch(version::equals));
    }

    /** No server is left drained or in maintenance: every back end is UP and READY in HAProxy. */
    static void assertPoolHealthy() {
        Awaitility.await("every HAProxy server UP and ready")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> suite.haproxy("show stat"),
                        stat -> {
                            List<String> rows =
                                    Suite.lines(stat).stream()
                                            .filter(
                                                    l ->
                                                            l.startsWith(
                                                                    fleet.apps().get(0).backend()
                                                                            + ","))
                                            .filter(
                                                    l ->
                                                            !l.contains(",BACKEND,")
                                                                    && !l.contains(",FRONTEND,"))
                                            .toList();
                            return rows.size() == fleet.dockerHosts().size()
                                    && rows.stream().allMatch(l -> l.split(",")[17].equals("UP"));
                        });
    }

    static List<EventEnvelope<CanaryEvent>> of(String release, EventType type) {
        return capture.events(release).stream().filter(e -> e.type() == type).toList();
    }

    // ---- scenarios -----------------------------------------------------------------------------

    @Test
    @Order(1)
    void happyPathUnderLoadZeroDropped() {
        String before = hostVersion(fleet.host(canary()).get()).orElseThrow();
        assertTrue(
                versions().values().stream().allMatch(before::equals),
                "all hosts on " + before + ": " + versions());
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            awaitState(id, Set.of("CANARY_LIVE"));
            Map<String, String> v = versions();
            String next = v.get(canary());
            assertTrue(!next.equals(before), "the canary serves the new version: " + v);
            for (Fleet.Host h : fleet.productionHosts()) {
                assertEquals(
                        before,
                        v.get(h.name()),
                        "the other hosts still serve " + before + ": " + v);
            }

            command(id, "promote", "e2e: canary looks good");
            awaitState(id, Set.of("PROMOTED"));
            awaitAllOn(next);

            Awaitility.await("10,000 requests served")
                    .atMost(Duration.ofMinutes(3))
                    .until(load::ok, n -> n >= 10_000);
            load.close();
            System.out.println("happy path load: " + load + " versions " + load.bodies());
            assertNoDrops(load);
            assertTrue(
                    load.bodies().keySet().containsAll(Set.of(before, next)),
                    load.bodies().toString());

            assertChain(id);
            assertPoolHealthy();
        }
    }

    /** The CloudEvents of the release come in DESIGN's order, each with its causation id. */
    static void assertChain(String id) {
        List<EventEnvelope<CanaryEvent>> events = capture.events(id);
        Map<String, EventEnvelope<CanaryEvent>> byId =
                capture.events().stream()
                        .collect(Collectors.toMap(EventEnvelope::id, e -> e, (a, b) -> a));
        List<String> chain =
                List.of(
                        "build.requested",
                        "build.succeeded",
                        "image.pushed",
                        "host.drained",
                        "host.updated",
                        "canary.live",
                        "promotion.requested",
                        "release.promoted");
        List<String> seen = new ArrayList<>();
        for (EventEnvelope<CanaryEvent> e : events) {
            String t = e.type().shortName();
            if (chain.contains(t) && !seen.contains(t)) seen.add(t);
        }
        assertEquals(
                chain,
                seen,
                "first occurrence order of the chain; all: "
                        + events.stream().map(e -> e.type().shortName()).toList());
        for (EventEnvelope<CanaryEvent> e : events) {
            if (e.type() == EventType.BUILD_REQUESTED) {
                continue;
            }
            assertNotNull(e.causationId(), e + " has no causation id");
            assertTrue(byId.containsKey(e.causationId()), e + " names an unknown cause");
        }
        EventEnvelope<CanaryEvent> requested = of(id, EventType.BUILD_REQUESTED).get(0);
        assertEquals(requested.id(), of(id, EventType.BUILD_SUCCEEDED).get(0).causationId());
        assertEquals(
                of(id, EventType.BUILD_SUCCEEDED).get(0).id(),
                of(id, EventType.IMAGE_PUSHED).get(0).causationId(),
                "image.pushed is caused by build.succeeded");
        EventEnvelope<CanaryEvent> drained =
                of(id, EventType.HOST_DRAINED).stream()
                        .filter(e -> ((HostDrained) e.data()).stage() == Stage.CANARY)
                        .findFirst()
                        .orElseThrow();
        assertEquals(EventType.HOST_UPDATE_REQUESTED, byId.get(drained.causationId()).type());
        EventEnvelope<CanaryEvent> updated =
                of(id, EventType.HOST_UPDATED).stream()
                        .filter(e -> ((HostUpdated) e.data()).stage() == Stage.CANARY)
                        .findFirst()
                        .orElseThrow();
        assertEquals(drained.id(), updated.causationId());
        EventEnvelope<CanaryEvent> live = of(id, EventType.CANARY_LIVE).get(0);
        assertEquals(EventType.HOST_ENABLED, byId.get(live.causationId()).type());
        assertTrue(((HostEnabled) byId.get(live.causationId()).data()).stage() == Stage.CANARY);
    }

    @Test
    @Order(2)
    void badCanaryGoesBackByItself() {
        String before = hostVersion(fleet.host(canary()).get()).orElseThrow();
        try (LoadLoop load = load()) {
            String id = suite.pushChange(true);
            awaitState(id, Set.of("FAILED", "ROLLED_BACK"));
            assertNeverPromoted(id);
            awaitAllOn(before);
            assertPoolHealthy();
            load.close();
            System.out.println("bad canary load: " + load);
            assertNoDrops(load);
            assertTrue(
                    !of(id, EventType.HOST_UPDATE_FAILED).isEmpty(),
                    "host.update-failed was published");
        }
    }

    /** The failed canary never reached the other hosts. */
    private static void assertNeverPromoted(String id) {
        for (EventEnvelope<CanaryEvent> e : of(id, EventType.HOST_UPDATE_REQUESTED)) {
            assertTrue(
                    ((HostUpdateRequested) e.data()).stage() != Stage.PROMOTION,
                    "no promotion of a failed canary: " + e);
        }
    }

    @Test
    @Order(3)
    void abortWhileCanaryIsLive() {
        String before = hostVersion(fleet.host(canary()).get()).orElseThrow();
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            awaitState(id, Set.of("CANARY_LIVE"));
            command(id, "abort", "e2e: abort the canary");
            awaitState(id, Set.of("ABORTED"));
            awaitAllOn(before);
            assertPoolHealthy();
            load.close();
            System.out.println("abort load: " + load);
            assertNoDrops(load);
        }
    }

    @Test
    @Order(4)
    void rollbackAfterPromotion() {
        String before = hostVersion(fleet.host(canary()).get()).orElseThrow();
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            awaitState(id, Set.of("CANARY_LIVE"));
            command(id, "promote", "e2e");
            awaitState(id, Set.of("PROMOTED"));
            String next = versions().get(canary());
            awaitAllOn(next);
            command(id, "rollback", "e2e: roll back the promotion");
            awaitState(id, Set.of("ROLLED_BACK"));
            awaitAllOn(before);
            assertPoolHealthy();
            load.close();
            System.out.println("rollback load: " + load);
            assertNoDrops(load);
        }
    }

    /**
     * Containers on a host created for {@code digest} (deploy-service's label), from the engine
     * itself.
     */
    static long containersWith(Fleet.Host h, String digest) {
        Suite.Result r;
        String format = "{{.Names}} {{.Labels}}";
        if (h.docker().get().driver() == Fleet.Driver.SSH) {
            r =
                    suite.run(
                            "bash",
                            "-c",
                            suite.env("DOCKER1_SSH")
                                    + " docker ps -a --format \"'"
                                    + format
                                    + "'\"");
        } else {
            r =
                    suite.run(
                            "docker",
                            "--tlsverify",
                            "--tlscacert",
                            suite.env("DOCKER_TLS_CA"),
                            "--tlscert",
                            suite.env("DOCKER_TLS_CERT"),
                            "--tlskey",
                            suite.env("DOCKER_TLS_KEY"),
                            "-H",
                            h.docker().get().endpoint(),
                            "ps",
                            "-a",
                            "--format",
                            format);
        }
        assertEquals(0, r.code(), r.output());
        Pattern label =
                Pattern.compile(
                        "dev\\.canaryrelease\\.digest=" + Pattern.quote(digest) + "(,|\\s|$)");
        return Suite.lines(r.output()).stream().filter(l -> label.matcher(l).find()).count();
    }

    void crashDuringPromotion(String component) {
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            awaitState(id, Set.of("CANARY_LIVE"));
            command(id, "promote", "e2e: crash " + component);
            capture.await(
                    e ->
                            e.releaseId().equals(id)
                                    && e.type() == EventType.HOST_UPDATE_REQUESTED
                                    && ((HostUpdateRequested) e.data()).stage() == Stage.PROMOTION,
                    RELEASE_STEP);
            suite.crash(component);
            suite.upAgain();
            awaitState(id, Set.of("PROMOTED"));
            String next = versions().get(canary());
            awaitAllOn(next);
            assertPoolHealthy();
            String digest = release(id).getString("digest");
            assertNotNull(digest, "the release names its digest");
            for (Fleet.Host h : fleet.dockerHosts()) {
                assertEquals(
                        1,
                        containersWith(h, digest),
                        h.name() + " was swapped exactly once (one container of " + digest + ")");
            }
            load.close();
            System.out.println(component + " crash load: " + load);
            assertNoDrops(load);
        }
    }

    @Test
    @Order(5)
    void deployServiceKilledMidPromotion() {
        crashDuringPromotion("deploy-service");
    }

    @Test
    @Order(6)
    void lbServiceKilledMidPromotion() {
        crashDuringPromotion("lb-service");
    }

    @Test
    @Order(7)
    void brokerRestartMidRelease() {
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            capture.await(id, EventType.BUILD_REQUESTED, RELEASE_STEP);
            suite.crash("kafka");
            suite.upAgain();
            awaitState(id, Set.of("CANARY_LIVE"));
            command(id, "promote", "e2e: after a broker restart");
            awaitState(id, Set.of("PROMOTED"));
            awaitAllOn(versions().get(canary()));
            assertPoolHealthy();
            load.close();
            System.out.println("broker restart load: " + load);
            assertNoDrops(load);
        }
    }

    /**
     * The broker is stopped right after the canary's update was requested, under load, for {@code
     * e2e.broker-outage} (60 s; 300 s by hand), then started again: the release goes on by itself
     * once the broker is back, each host is swapped exactly once, no record is dead-lettered and no
     * server is left out of the pool.
     */
    @Test
    @Order(9)
    void brokerDownDuringTheCanaryThenBackTheReleaseCompletes() throws Exception {
        Duration outage = Duration.parse(System.getProperty("e2e.broker-outage", "PT60S"));
        int deadBefore = deadLetters().size();
        try (LoadLoop load = load()) {
            String id = suite.pushChange(false);
            capture.await(
                    e ->
                            e.releaseId().equals(id)
                                    && e.type() == EventType.HOST_UPDATE_REQUESTED
                                    && ((HostUpdateRequested) e.data()).stage() == Stage.CANARY,
                    RELEASE_STEP);
            suite.crash("kafka");
            long downAt = System.nanoTime();
            System.out.println("broker outage: kafka killed, down for " + outage);
            // the outage itself: nothing to poll for while the broker is down
            Thread.sleep(outage.toMillis());
            suite.upAgain();
            System.out.printf(
                    "broker outage: back after %d s%n",
                    Duration.ofNanos(System.nanoTime() - downAt).toSeconds());
            awaitState(id, Set.of("CANARY_LIVE"));
            command(id, "promote", "e2e: after a broker outage of " + outage);
            awaitState(id, Set.of("PROMOTED"));
            awaitAllOn(versions().get(canary()));
            assertPoolHealthy();
            String digest = release(id).getString("digest");
            for (Fleet.Host h : fleet.dockerHosts()) {
                long swaps =
                        capture.events(id).stream()
                                .filter(e -> e.type() == EventType.HOST_UPDATED)
                                .filter(e -> ((HostUpdated) e.data()).host().equals(h.name()))
                                .map(EventEnvelope::id)
                                .distinct()
                                .count();
                assertEquals(1, swaps, h.name() + " reported one swap: " + capture.events(id));
                assertEquals(
                        1,
                        containersWith(h, digest),
                        h.name() + " was swapped exactly once (one container of " + digest + ")");
            }
            List<Object> dead = deadLetters();
            assertEquals(
                    deadBefore,
                    dead.size(),
                    "records dead-lettered during the broker outage: "
                            + dead.subList(0, dead.size() - deadBefore));
            load.close();
            System.out.println("broker outage load: " + load);
            assertNoDrops(load);
        }
    }

    /** Every dead-lettered record the gateway serves (newest first, one page of 200). */
    static List<Object> deadLetters() {
        HttpResponse<String> r =
                suite.get(
                        suite.env("GATEWAY_URL") + "/dead-letters?limit=200",
                        suite.env("VIEWER_TOKEN"));
        assertEquals(200, r.statusCode(), "GET /dead-letters: " + r.body());
        return JsonPath.from(r.body()).getList("deadLetters");
    }

    /**
     * 12 reloads of HAProxy (SIGUSR2 to its master, as {@code systemctl reload} does) during a
     * whole release, under {@code wrk}: keep-alive clients that never retry. (The JDK client of
     * {@link LoadLoop} quietly retries a GET whose connection was closed, so it would hide a reload
     * that closes idle connections under their clients.)
     */
    @Test
    @Order(8)
    void twelveHaproxyReloadsDuringAReleaseLoseNothing() throws Exception {
        String master =
                java.nio.file.Files.readString(suite.root.resolve(".canary/run/haproxy.pid"))
                        .strip();
        Path out = java.nio.file.Files.createTempFile("e2e-wrk-reloads-", ".txt");
        Process wrk =
                new ProcessBuilder(
                                "wrk",
                                "-t2",
                                "-c16",
                                "-d10m",
                                "--timeout",
                                "10s",
                                suite.env("APP_URL") + "/")
                        .redirectErrorStream(true)
                        .redirectOutput(out.toFile())
                        .start();
        try {
            String id = suite.pushChange(false);
            String phase = state(id);
            boolean promoted = false;
            int reloads = 0;
            String worker = workerPid();
            // reload until the release is promoted and 12 reloads were made, one every 2.5 s (a
            // pace: the release moves on meanwhile), each awaited until its new worker answers
            while (reloads < 12 || !isFinal(phase)) {
                assertEquals(
                        0,
                        Suite.run(suite.root, Duration.ofSeconds(5), "kill", "-USR2", master)
                                .code());
                String before = worker;
                worker =
                        Awaitility.await("a new HAProxy worker after reload " + (reloads + 1))
                                .atMost(Duration.ofSeconds(30))
                                .pollInterval(Duration.ofMillis(100))
                                .until(
                                        CanaryReleaseIT::workerPid,
                                        w -> !w.isEmpty() && !w.equals(before));
                reloads++;
                Thread.sleep(2500);
                phase = state(id);
                if ("CANARY_LIVE".equals(phase) && !promoted) {
                    command(id, "promote", "e2e: promoted between HAProxy reloads");
                    promoted = true;
                }
                assertTrue(reloads < 60, "the release did not end: " + phase);
            }
            assertEquals("PROMOTED", state(id), release(id).prettify());
            awaitAllOn(versions().get(canary()));
            assertPoolHealthy();
        } finally {
            Suite.run(suite.root, Duration.ofSeconds(5), "kill", "-INT", String.valueOf(wrk.pid()));
            wrk.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        String summary = java.nio.file.Files.readString(out);
        System.out.println("haproxy reloads, wrk:\n" + summary);
        assertTrue(summary.contains(" requests in "), summary);
        // wrk prints these lines only when there was at least one
        assertTrue(
                !summary.contains("Socket errors"),
                "connection errors at the front end: " + summary);
        assertTrue(!summary.contains("Non-2xx"), "non-2xx answers at the front end: " + summary);
    }

    /** The pid of HAProxy's current worker, from its Runtime API; "" while it does not answer. */
    static String workerPid() {
        Suite.Result r =
                Suite.run(
                        suite.root,
                        Duration.ofSeconds(10),
                        false,
                        "bash",
                        "-c",
                        "echo 'show info' | socat stdio UNIX-CONNECT:"
                                + suite.env("HAPROXY_SOCKET"));
        return Suite.lines(r.output()).stream()
                .filter(l -> l.startsWith("Pid: "))
                .map(l -> l.substring(5).strip())
                .findFirst()
                .orElse("");
    }
}
