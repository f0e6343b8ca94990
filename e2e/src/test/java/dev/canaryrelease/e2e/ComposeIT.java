package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * The compose suite ({@code docker-compose.yml}) as an operator runs it on cfgmgr: {@code
 * dev/images} builds the images, {@code dev/compose up --infra} starts Kafka, the six services and
 * the profile "infra" (the registry and HAProxy, in place of dev/up's own) as containers on
 * dev/up's engine docker2 (host networking), pointed at the real engines and named of {@code dev/up
 * --compose-infra}; a release goes from a signed push to PROMOTED under load with nothing dropped,
 * its image pushed to and pulled from the compose registry and its hosts drained in the compose
 * HAProxy; {@code dev/compose down} leaves nothing running.
 *
 * <p>Runs last but one, before NetnsIT ({@code junit-platform.properties}): it stops dev/up's own
 * Kafka and services (the compose suite takes their ports) and starts them again afterwards if
 * another test of this JVM had started them.
 */
@Order(Integer.MAX_VALUE - 1)
class ComposeIT {
    static final List<String> SERVICES = Suite.SERVICES;
    static final Pattern PAGE = Pattern.compile("version=(\\S+) host=([^<\\s]+)");
    static final Duration STEP = Duration.ofMinutes(4);

    Suite suite;
    Fleet fleet;

    @Test
    void aSignedPushIsPromotedThroughTheComposeSuiteUnderLoad() {
        Path root = Path.of(System.getProperty("canary.root", "..")).toAbsolutePath().normalize();
        boolean devUpBefore = Suite.started();
        must(root, Duration.ofMinutes(10), "dev/up", "--compose-infra", "--no-build");
        try {
            Suite.Result images =
                    must(root, Duration.ofMinutes(15), "dev/images", "--engine", "docker2");
            for (String s : SERVICES) {
                assertTrue(
                        images.output().contains("canary-release/" + s + ":local"),
                        images.output());
            }
            assertTrue(images.output().contains("canary-release/kafka:local"), images.output());
            assertTrue(images.output().contains("canary-release/registry:local"), images.output());
            assertTrue(images.output().contains("canary-release/haproxy:local"), images.output());
            must(root, Duration.ofMinutes(6), "dev/compose", "up", "--infra");

            suite = Suite.attach(root);
            fleet = FleetLoader.load(Path.of(suite.env("CANARY_FLEET")));
            assertListenersAreTheContainers(root);
            assertStatusShowsTheComposeSuite(root);
            releaseUnderLoad();
        } finally {
            Suite.Result down = Suite.run(root, Duration.ofMinutes(3), "dev/compose", "down");
            Suite.Result left =
                    docker(root, "ps -a -q --filter label=com.docker.compose.project=canary");
            Suite.Result ports =
                    listeners(
                            root,
                            "( sport = :8080 or sport = :8081 or sport = :8082 or sport = :8083 or"
                                    + " sport = :8084 or sport = :8085 or sport = :9092 or sport ="
                                    + " :5000 or sport = :80 )");
            // put back what the other tests of this JVM expect: dev/up's Kafka and services
            Suite.Result restore =
                    devUpBefore
                            ? Suite.run(root, Duration.ofMinutes(10), "dev/up", "--no-build")
                            : Suite.run(root, Duration.ofMinutes(3), "dev/down");
            assertEquals(0, down.code(), "dev/compose down:\n" + down.output());
            assertEquals("", left.output().strip(), "containers left after down");
            assertEquals("", ports.output().strip(), "listeners left after down");
            assertEquals(0, restore.code(), "restoring dev/up:\n" + restore.output());
        }
    }

    /**
     * Each service's port, Kafka's, the registry's and HAProxy's front end are served by the
     * process of that compose container (HAProxy's by the worker its master, the container's first
     * process, started).
     */
    void assertListenersAreTheContainers(Path root) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (int i = 0; i < SERVICES.size(); i++) ports.put(SERVICES.get(i), 8080 + i);
        ports.put("kafka", 9092);
        ports.put("registry", 5000);
        ports.put("haproxy", 80);
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            Suite.Result pid =
                    docker(
                            root,
                            "inspect --format '{{.State.Pid}} {{.State.Health.Status}}' $(dk ps -q"
                                    + " --filter label=com.docker.compose.project=canary --filter"
                                    + " label=com.docker.compose.service="
                                    + e.getKey()
                                    + ")");
            assertEquals(0, pid.code(), pid.output());
            String[] f = pid.output().strip().split(" ");
            assertEquals("healthy", f[1], e.getKey() + ": " + pid.output());
            Suite.Result ss = listeners(root, "sport = :" + e.getValue());
            assertTrue(
                    ss.output().contains("pid=" + f[0] + ",")
                            || Pattern.compile("pid=(\\d+),")
                                    .matcher(ss.output())
                                    .results()
                                    .anyMatch(m -> f[0].equals(parent(m.group(1)))),
                    e.getKey()
                            + " container (pid "
                            + f[0]
                            + ") listens on "
                            + e.getValue()
                            + ": "
                            + ss.output());
        }
        HttpResponse<String> ready = suite.get(suite.env("GATEWAY_URL") + "/q/health/ready", null);
        assertEquals(200, ready.statusCode(), ready.body());
    }

    /**
     * dev/status shows Kafka and each service as the compose suite's container, with its readiness,
     * not as stopped.
     */
    void assertStatusShowsTheComposeSuite(Path root) {
        Suite.Result status = must(root, Duration.ofMinutes(1), "dev/status");
        String out = status.output();
        assertTrue(
                out.contains("6 of 6 services ready."), "every compose service counted:\n" + out);
        for (String s : SERVICES) {
            assertTrue(
                    out.lines()
                            .anyMatch(
                                    l ->
                                            l.startsWith(s + " ")
                                                    && l.contains("ready (compose on docker2")),
                    s + " shown as the compose suite's, ready:\n" + out);
        }
        for (String s : List.of("kafka", "registry", "haproxy")) {
            assertTrue(
                    out.lines()
                            .anyMatch(
                                    l ->
                                            l.startsWith(s + " ")
                                                    && l.contains("(compose on docker2)")),
                    s + " shown as the compose suite's:\n" + out);
        }
        assertTrue(
                out.lines().anyMatch(l -> l.contains("backend ") && l.contains("docker0 UP")),
                "the compose HAProxy's servers, through its Runtime API:\n" + out);
    }

    /** The parent pid of a process, from /proc; "" when it is gone. */
    static String parent(String pid) {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc", pid, "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1];
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    void releaseUnderLoad() {
        for (Fleet.Host h : fleet.dockerHosts()) {
            Awaitility.await("host " + h.name() + " serves the app")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> hostVersion(h).isPresent());
        }
        String canary = fleet.rollout().canary().get(0);
        String before = hostVersion(fleet.host(canary).get()).orElseThrow();
        try (LoadLoop load =
                LoadLoop.start(
                        suite.env("APP_URL") + "/",
                        4,
                        Duration.ofMinutes(20),
                        ComposeIT::version)) {
            String id = suite.pushChange(false);
            awaitState(id, "CANARY_LIVE");
            String next = hostVersion(fleet.host(canary).get()).orElse("down");
            assertNotEquals(before, next, "the canary serves the new version");
            post(id, "promote");
            awaitState(id, "PROMOTED");
            Awaitility.await("every host serves " + next)
                    .atMost(STEP)
                    .pollInterval(Duration.ofMillis(250))
                    .until(
                            () ->
                                    fleet.dockerHosts().stream()
                                            .allMatch(
                                                    h -> hostVersion(h).equals(Optional.of(next))));
            Awaitility.await("5,000 requests served")
                    .atMost(Duration.ofMinutes(3))
                    .until(load::ok, n -> n >= 5_000);
            load.close();
            System.out.println(
                    "compose suite release " + id + " load: " + load + " " + load.bodies());
            assertEquals(0, load.bad(), "non-2xx responses at the front end: " + load);
            assertEquals(0, load.errors(), "connection errors at the front end: " + load);
            assertTrue(
                    load.bodies().keySet().containsAll(Set.of(before, next)),
                    load.bodies().toString());
        }
    }

    void awaitState(String id, String wanted) {
        Awaitility.await("release " + id + " reaches " + wanted)
                .atMost(STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> JsonPath.from(releaseJson(id)).getString("state"),
                        s -> {
                            if (Set.of("PROMOTED", "FAILED", "ROLLED_BACK", "ABORTED", "SUPERSEDED")
                                            .contains(s)
                                    && !s.equals(wanted)) {
                                fail("release " + id + " ended " + s + ": " + releaseJson(id));
                            }
                            return wanted.equals(s);
                        });
    }

    String releaseJson(String id) {
        HttpResponse<String> r =
                suite.get(suite.env("GATEWAY_URL") + "/releases/" + id, suite.env("VIEWER_TOKEN"));
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    void post(String id, String verb) {
        HttpResponse<String> r =
                suite.post(
                        suite.env("GATEWAY_URL") + "/releases/" + id + "/" + verb,
                        suite.env("OPERATOR_TOKEN"),
                        "{\"reason\":\"e2e: compose suite\"}");
        assertEquals(202, r.statusCode(), verb + ": " + r.body());
    }

    Optional<String> hostVersion(Fleet.Host h) {
        try {
            HttpResponse<String> r =
                    suite.get(
                            "http://" + h.address() + ":" + fleet.apps().get(0).port() + "/", null);
            return r.statusCode() == 200 ? Optional.of(version(r.body())) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static String version(String body) {
        Matcher m = PAGE.matcher(body);
        return m.find() ? m.group(1) : "unrecognised page";
    }

    static Suite.Result must(Path root, Duration timeout, String... cmd) {
        Suite.Result r = Suite.run(root, timeout, cmd);
        assertEquals(0, r.code(), String.join(" ", cmd) + " failed:\n" + r.output());
        return r;
    }

    /** The TCP listeners that match an ss filter, with their processes. */
    static Suite.Result listeners(Path root, String filter) {
        return Suite.run(
                root, Duration.ofSeconds(30), false, "bash", "-c", "ss -Hltnp '" + filter + "'");
    }

    /** The docker CLI against docker2, where the compose suite runs. */
    static Suite.Result docker(Path root, String args) {
        return Suite.run(
                root,
                Duration.ofSeconds(60),
                false,
                "bash",
                "-c",
                "source dev/lib.sh && engine_env docker2 && dk " + args);
    }
}
