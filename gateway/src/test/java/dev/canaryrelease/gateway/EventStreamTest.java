package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class EventStreamTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "ef".repeat(32);
    static final ObjectMapper JSON = new ObjectMapper();

    static EventSender build;
    static EventSender registry;
    static EventSender lb;
    static EventSender deploy;

    @BeforeAll
    static void start() {
        String b = KafkaTestResource.bootstrapServers();
        build = new EventSender(b, "build-service");
        registry = new EventSender(b, "registry-service");
        lb = new EventSender(b, "lb-service");
        deploy = new EventSender(b, "deploy-service");
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    @AfterAll
    static void stop() {
        build.close();
        registry.close();
        lb.close();
        deploy.close();
    }

    static String ceId(SseClient.Event e) throws Exception {
        return JSON.readTree(e.data()).get("id").asText();
    }

    @Test
    void resumesWithLastEventIdWithoutGapOrRepeat() throws Exception {
        String rid = UUID.randomUUID().toString();
        String sha = Github.randomSha();
        List<String> firstIds = new ArrayList<>();
        String resumeFrom;
        String third;
        try (SseClient c1 = SseClient.open("?release=" + rid, VIEWER_TOKEN, null)) {
            EventEnvelope<?> e1 = build.send(new BuildStarted(rid, "example", sha, null));
            EventEnvelope<?> e2 =
                    registry.send(e1, new ImagePushed(rid, "example", "example", "t1", DIGEST));
            EventEnvelope<?> e3 =
                    deploy.send(
                            e2,
                            new HostUpdateRequested(
                                    rid, "example", "docker0", Stage.CANARY, DIGEST));
            SseClient.Event r1 = c1.next(WAIT);
            SseClient.Event r2 = c1.next(WAIT);
            SseClient.Event r3 = c1.next(WAIT);
            firstIds.add(ceId(r1));
            firstIds.add(ceId(r2));
            firstIds.add(ceId(r3));
            assertEquals(Set.of(e1.id(), e2.id(), e3.id()), new HashSet<>(firstIds));

            JsonNode ce = JSON.readTree(r1.data());
            assertEquals("1.0", ce.get("specversion").asText());
            assertEquals(rid, ce.get("subject").asText());
            assertEquals(rid, ce.get("data").get("releaseId").asText());
            assertTrue(ce.get("type").asText().startsWith("dev.canaryrelease."));
            assertTrue(r1.id().matches("([a-z.]+:\\d+:\\d+)(,[a-z.\\-]+:\\d+:\\d+)*"), r1.id());
            // the client processed two events, then lost its connection
            resumeFrom = r2.id();
            third = ceId(r3);
        }
        EventEnvelope<?> e4 =
                lb.send(new HostDrained(rid, "example", "docker0", Stage.CANARY, 0, 10, false));
        EventEnvelope<?> e5 =
                build.send(new BuildSucceeded(rid, "example", "example", "t1", DIGEST, 10, null));

        try (SseClient c2 = SseClient.open("?release=" + rid, VIEWER_TOKEN, resumeFrom)) {
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                got.add(ceId(c2.next(WAIT)));
            }
            assertEquals(Set.of(third, e4.id(), e5.id()), new HashSet<>(got), got.toString());
            // live events follow the backlog, nothing in between
            EventEnvelope<?> e6 =
                    deploy.send(
                            new HostUpdated(rid, "example", "docker0", Stage.CANARY, DIGEST, null));
            assertEquals(e6.id(), ceId(c2.next(WAIT)));
        }
    }

    @Test
    void filtersByTypeAndApp() throws Exception {
        String rid = UUID.randomUUID().toString();
        EventEnvelope<?> started =
                build.send(new BuildStarted(rid, "example", Github.randomSha(), null));
        EventEnvelope<?> drained =
                lb.send(new HostDrained(rid, "example", "docker1", Stage.PROMOTION, 2, 300, false));
        try (SseClient types =
                        SseClient.open(
                                "?release=" + rid + "&type=host.drained", VIEWER_TOKEN, null);
                SseClient apps =
                        SseClient.open(
                                "?app=example&release="
                                        + rid
                                        + "&type=dev.canaryrelease.build.started",
                                VIEWER_TOKEN,
                                null)) {
            assertEquals(drained.id(), ceId(types.next(WAIT)));
            assertEquals(started.id(), ceId(apps.next(WAIT)));
            EventEnvelope<?> again =
                    lb.send(
                            new HostDrained(
                                    rid, "example", "docker2", Stage.PROMOTION, 0, 5, false));
            assertEquals(again.id(), ceId(types.next(WAIT)));
        }
    }

    /**
     * Apps whose keys the producers' default partitioner puts on every partition of the test
     * broker's topics, one app each.
     */
    static List<String> appsOnEveryPartition() {
        String[] byPartition = new String[KafkaTestResource.PARTITIONS];
        int found = 0;
        for (int i = 0; found < byPartition.length; i++) {
            String app = "sse-app-" + i;
            int p =
                    org.apache.kafka.common.utils.Utils.toPositive(
                                    org.apache.kafka.common.utils.Utils.murmur2(
                                            app.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            % byPartition.length;
            if (byPartition[p] == null) {
                byPartition[p] = app;
                found++;
            }
        }
        return List.of(byPartition);
    }

    /**
     * Events keyed by app are spread over every partition of a topic (issue 19). A client that
     * resumes from a cursor taken in the middle gets exactly the events of every partition after
     * it: none lost, none twice, whatever partition each release's app is on.
     */
    @Test
    void resumesAcrossEveryPartitionWithoutGapOrRepeat() throws Exception {
        List<String> apps = appsOnEveryPartition();
        java.util.Map<String, String> releases = new java.util.LinkedHashMap<>();
        for (String app : apps) releases.put(UUID.randomUUID().toString(), app);
        List<String> sent = new ArrayList<>();
        releases.forEach(
                (rid, app) -> sent.add(build.send(new BuildStarted(rid, app, "ab12", null)).id()));
        releases.forEach(
                (rid, app) ->
                        sent.add(
                                deploy.send(
                                                new HostUpdateRequested(
                                                        rid, app, "docker0", Stage.CANARY, DIGEST))
                                        .id()));
        String resumeFrom;
        Set<String> afterCursor = new HashSet<>();
        try (SseClient c1 = SseClient.open("", VIEWER_TOKEN, null)) {
            List<SseClient.Event> mine = mine(c1, releases.keySet(), sent.size());
            resumeFrom = mine.get(sent.size() / 2 - 1).id();
            for (SseClient.Event e : mine.subList(sent.size() / 2, mine.size())) {
                afterCursor.add(ceId(e));
            }
            Set<String> buildPartitions = new HashSet<>();
            for (String part : mine.get(mine.size() - 1).id().split(",")) {
                if (part.startsWith("build.events:")) buildPartitions.add(part.split(":")[1]);
            }
            assertEquals(
                    KafkaTestResource.PARTITIONS,
                    buildPartitions.size(),
                    "the apps' build.started are on every partition: " + buildPartitions);
        }
        releases.forEach(
                (rid, app) ->
                        afterCursor.add(
                                lb.send(
                                                new HostDrained(
                                                        rid,
                                                        app,
                                                        "docker0",
                                                        Stage.CANARY,
                                                        0,
                                                        5,
                                                        false))
                                        .id()));
        try (SseClient c2 = SseClient.open("", VIEWER_TOKEN, resumeFrom)) {
            List<SseClient.Event> got = mine(c2, releases.keySet(), afterCursor.size());
            List<String> ids = new ArrayList<>();
            for (SseClient.Event e : got) ids.add(ceId(e));
            assertEquals(afterCursor, new HashSet<>(ids), "exactly the events after the cursor");
            assertEquals(afterCursor.size(), ids.size(), "none twice: " + ids);
        }
    }

    /** The next {@code n} events of {@code releases} on the stream (others' events skipped). */
    static List<SseClient.Event> mine(SseClient c, Set<String> releases, int n) throws Exception {
        List<SseClient.Event> mine = new ArrayList<>();
        while (mine.size() < n) {
            SseClient.Event e = c.next(WAIT);
            if (releases.contains(JSON.readTree(e.data()).get("subject").asText())) mine.add(e);
        }
        return mine;
    }

    @Test
    void needsAViewerTokenAndAValidCursor() {
        given().get("/events").then().statusCode(401);
        given().auth().oauth2("wrong-token-wrong-token").get("/events").then().statusCode(401);
        given().auth()
                .oauth2(VIEWER_TOKEN)
                .header("Last-Event-ID", "garbage")
                .get("/events")
                .then()
                .statusCode(400)
                .body("error", startsWith("bad Last-Event-ID"));
    }
}
