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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.KafkaClients;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * The suite on a three-broker KRaft cluster ({@code dev/up --brokers 3}): the services connect to
 * all three, their topics have three replicas with {@code min.insync.replicas} 2, and a broker
 * killed with {@code kill -9} in the middle of a promotion, under load at the front end, loses
 * nothing: the release ends PROMOTED on the two brokers left, each host swapped exactly once, no
 * record dead-lettered, no request dropped. The broker then comes back and catches up.
 *
 * <p>Runs after the one-broker tests and before {@link ComposeIT} (it replaces dev/up's Kafka for a
 * while) and puts back what ran before: dev/up's one broker if another test of this JVM had started
 * the suite, else nothing.
 */
@Order(Integer.MAX_VALUE - 2)
class KafkaClusterIT {
    static final Duration STEP = Duration.ofMinutes(4);
    static final Pattern PAGE = Pattern.compile("version=(\\S+) host=([^<\\s]+)");

    Suite suite;
    Fleet fleet;
    EventCapture capture;

    @Test
    void aBrokerKilledMidPromotionUnderLoadLosesNothing() throws Exception {
        Path root = Path.of(System.getProperty("canary.root", "..")).toAbsolutePath().normalize();
        boolean devUpBefore = Suite.started();
        try {
            must(root, Duration.ofMinutes(10), "dev/up", "--no-build", "--brokers", "3");
            suite = Suite.attach(root);
            fleet = FleetLoader.load(Path.of(suite.env("CANARY_FLEET")));
            String bootstrap = suite.env("KAFKA_BOOTSTRAP");
            assertEquals(
                    "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096",
                    bootstrap,
                    "the services' and tools' bootstrap servers: the three brokers");
            assertStatusShowsEachBroker(root, 3);
            assertTopicsReplicated();
            capture = EventCapture.start(bootstrap, Topics.ALL.toArray(String[]::new));
            for (Fleet.Host h : fleet.dockerHosts()) {
                Awaitility.await("host " + h.name() + " serves the app")
                        .atMost(Duration.ofMinutes(2))
                        .until(() -> hostVersion(h).isPresent());
            }
            releaseWhileABrokerDies();
            // the killed broker comes back (dev/up starts what does not run) and catches up
            suite.upAgain();
            Awaitility.await("every partition has its 3 replicas in sync again")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> underReplicated().isEmpty());
            assertStatusShowsEachBroker(root, 3);
        } finally {
            if (capture != null) capture.close();
            Suite.Result restore =
                    devUpBefore
                            ? Suite.run(
                                    root,
                                    Duration.ofMinutes(10),
                                    "dev/up",
                                    "--no-build",
                                    "--brokers",
                                    "1")
                            : Suite.run(root, Duration.ofMinutes(3), "dev/down");
            assertEquals(0, restore.code(), "putting back one broker:\n" + restore.output());
        }
    }

    /**
     * Promote a release, then kill -9 the broker that leads {@code deploy.events} (the rollout's
     * commands and results) once the promotion's first host update was requested.
     */
    void releaseWhileABrokerDies() throws Exception {
        int deadBefore = deadLetters().size();
        try (LoadLoop load =
                LoadLoop.start(
                        suite.env("APP_URL") + "/", 4, Duration.ofMinutes(20), this::version)) {
            String id = suite.pushChange(false);
            awaitState(id, "CANARY_LIVE");
            command(id, "promote", "e2e: promote, then lose a broker");
            capture.await(
                    e ->
                            e.releaseId().equals(id)
                                    && e.type() == EventType.HOST_UPDATE_REQUESTED
                                    && ((HostUpdateRequested) e.data()).stage() == Stage.PROMOTION,
                    STEP);
            int leader = leaderOf(Topics.DEPLOY);
            long killedAt = System.nanoTime();
            suite.crash("kafka-" + leader);
            System.out.println(
                    "kafka cluster: killed kafka-" + leader + " (leader of deploy.events)");
            awaitState(id, "PROMOTED");
            System.out.printf(
                    "kafka cluster: PROMOTED %d s after the broker was killed; leader of"
                            + " deploy.events now %d%n",
                    Duration.ofNanos(System.nanoTime() - killedAt).toSeconds(),
                    leaderOf(Topics.DEPLOY));
            String next = versions().get(fleet.rollout().canary().get(0));
            awaitAllOn(next);
            assertPoolHealthy();
            String digest = JsonPath.from(release(id)).getString("digest");
            assertNotNull(digest, "the release names its digest");
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
                    "records dead-lettered while a broker was down: "
                            + dead.subList(0, dead.size() - deadBefore));
            load.close();
            System.out.println("kafka cluster: load " + load);
            assertEquals(0, load.bad(), "non-2xx responses at the front end: " + load);
            assertEquals(0, load.errors(), "connection errors at the front end: " + load);
        }
    }

    // ---- the cluster, as its operator sees it
    // -----------------------------------------------------

    /** dev/status has one row per broker, each up and in the cluster. */
    static void assertStatusShowsEachBroker(Path root, int brokers) {
        Suite.Result status = must(root, Duration.ofMinutes(1), "dev/status");
        for (int i = 1; i <= brokers; i++) {
            Matcher m =
                    Pattern.compile(
                                    "(?m)^kafka-"
                                            + i
                                            + "\\s+127\\.0\\.0\\.1:"
                                            + (9090 + 2 * i)
                                            + "\\s+\\d+\\s.*up, in the cluster")
                            .matcher(status.output());
            assertTrue(m.find(), "dev/status shows kafka-" + i + " up:\n" + status.output());
        }
        assertTrue(
                status.output().contains(brokers + " brokers live"),
                "dev/status shows the cluster:\n" + status.output());
    }

    /** Every topic of the suite has 3 replicas, all in sync, and min.insync.replicas 2. */
    void assertTopicsReplicated() throws Exception {
        List<String> topics = new ArrayList<>(Topics.ALL);
        topics.addAll(Topics.SNAPSHOTS);
        try (Admin admin = admin()) {
            Map<String, TopicDescription> d =
                    admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            List<ConfigResource> res =
                    topics.stream()
                            .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t))
                            .toList();
            Map<ConfigResource, Config> configs =
                    admin.describeConfigs(res).all().get(30, TimeUnit.SECONDS);
            for (String t : topics) {
                for (TopicPartitionInfo p : d.get(t).partitions()) {
                    assertEquals(3, p.replicas().size(), t + " replicas: " + p);
                    assertEquals(3, p.isr().size(), t + " in-sync replicas: " + p);
                }
                assertEquals(
                        "2",
                        configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t))
                                .get("min.insync.replicas")
                                .value(),
                        t + " min.insync.replicas");
            }
        }
    }

    /** The id of the broker that leads partition 0 of {@code topic}. */
    int leaderOf(String topic) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(topic)
                    .partitions()
                    .get(0)
                    .leader()
                    .id();
        }
    }

    /** Partitions of the suite's topics with fewer in-sync replicas than replicas. */
    List<String> underReplicated() throws Exception {
        List<String> topics = new ArrayList<>(Topics.ALL);
        topics.addAll(Topics.SNAPSHOTS);
        List<String> under = new ArrayList<>();
        try (Admin admin = admin()) {
            admin.describeTopics(topics)
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .forEach(
                            (t, d) ->
                                    d.partitions().stream()
                                            .filter(p -> p.isr().size() < p.replicas().size())
                                            .forEach(p -> under.add(t + "-" + p.partition())));
        }
        return under;
    }

    /** The cluster's administrator: the brokers' own principal, the one super user. */
    Admin admin() {
        return Admin.create(
                KafkaClients.config(suite.env("KAFKA_BOOTSTRAP"), KafkaPrincipals.BROKER));
    }

    // ---- the release, as an operator sees it ----------------------------------------------------

    static Suite.Result must(Path root, Duration timeout, String... cmd) {
        Suite.Result r = Suite.run(root, timeout, cmd);
        assertEquals(0, r.code(), String.join(" ", cmd) + " failed:\n" + r.output());
        return r;
    }

    String version(String body) {
        Matcher m = PAGE.matcher(body);
        return m.find() ? m.group(1) : "unrecognised page";
    }

    Optional<String> hostVersion(Fleet.Host h) {
        String url = "http://" + h.address() + ":" + fleet.apps().get(0).port() + "/";
        try {
            HttpResponse<String> r = suite.get(url, null);
            return r.statusCode() == 200 ? Optional.of(version(r.body())) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    Map<String, String> versions() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Fleet.Host h : fleet.dockerHosts()) m.put(h.name(), hostVersion(h).orElse("down"));
        return m;
    }

    String release(String id) {
        HttpResponse<String> r =
                suite.get(suite.env("GATEWAY_URL") + "/releases/" + id, suite.env("VIEWER_TOKEN"));
        assertEquals(200, r.statusCode(), "GET /releases/" + id + ": " + r.body());
        return r.body();
    }

    void awaitState(String id, String wanted) {
        Set<String> terminal = Set.of("PROMOTED", "FAILED", "ROLLED_BACK", "ABORTED", "SUPERSEDED");
        Awaitility.await("release " + id + " reaches " + wanted)
                .atMost(STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> JsonPath.from(release(id)).getString("state"),
                        s -> {
                            if (terminal.contains(s) && !s.equals(wanted)) {
                                fail(
                                        "release "
                                                + id
                                                + " ended "
                                                + s
                                                + " instead of "
                                                + wanted
                                                + "; events: "
                                                + capture.events(id).stream()
                                                        .map(e -> e.type().shortName())
                                                        .toList()
                                                + "\n"
                                                + suite.warnings("deploy-service", 15)
                                                + suite.warnings("lb-service", 15));
                            }
                            return s.equals(wanted);
                        });
    }

    void command(String id, String verb, String reason) {
        HttpResponse<String> r =
                suite.post(
                        suite.env("GATEWAY_URL") + "/releases/" + id + "/" + verb,
                        suite.env("OPERATOR_TOKEN"),
                        "{\"reason\":\"" + reason + "\"}");
        assertEquals(202, r.statusCode(), verb + " answered: " + r.body());
    }

    void awaitAllOn(String version) {
        Awaitility.await("every host serves " + version)
                .atMost(STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(this::versions, v -> v.values().stream().allMatch(version::equals));
    }

    /** Every HAProxy server of the app's back end is UP (none left drained or in maintenance). */
    void assertPoolHealthy() {
        String backend = fleet.apps().get(0).backend() + ",";
        Awaitility.await("every HAProxy server UP and ready")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> suite.haproxy("show stat"),
                        stat -> {
                            List<String> rows =
                                    Suite.lines(stat).stream()
                                            .filter(l -> l.startsWith(backend))
                                            .filter(
                                                    l ->
                                                            !l.contains(",BACKEND,")
                                                                    && !l.contains(",FRONTEND,"))
                                            .toList();
                            return rows.size() == fleet.dockerHosts().size()
                                    && rows.stream().allMatch(l -> l.split(",")[17].equals("UP"));
                        });
    }

    /** Containers on a host made for {@code digest} (deploy-service's label), from the engine. */
    long containersWith(Fleet.Host h, String digest) {
        String format = "{{.Names}} {{.Labels}}";
        Suite.Result r =
                h.docker().get().driver() == Fleet.Driver.SSH
                        ? suite.run(
                                "bash",
                                "-c",
                                suite.env("DOCKER1_SSH")
                                        + " docker ps -a --format \"'"
                                        + format
                                        + "'\"")
                        : suite.run(
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
        assertEquals(0, r.code(), r.output());
        Pattern label =
                Pattern.compile(
                        "dev\\.canaryrelease\\.digest=" + Pattern.quote(digest) + "(,|\\s|$)");
        return Suite.lines(r.output()).stream().filter(l -> label.matcher(l).find()).count();
    }

    /** Every dead-lettered record the gateway serves (newest first, one page of 200). */
    List<Object> deadLetters() {
        HttpResponse<String> r =
                suite.get(
                        suite.env("GATEWAY_URL") + "/dead-letters?limit=200",
                        suite.env("VIEWER_TOKEN"));
        assertEquals(200, r.statusCode(), "GET /dead-letters: " + r.body());
        return JsonPath.from(r.body()).getList("deadLetters");
    }
}
