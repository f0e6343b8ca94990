package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.OPERATOR_TOKEN;
import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.gateway.domain.ReleaseStore;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * Issue 14 points 2 and 10 on the real broker: after the event topics' records are deleted
 * (retention) and the gateway restarts, a release's audit trail (operator, reason), the push dedupe
 * and the release list come from the gateway's compacted snapshot ({@link SnapshottedHistory}); a
 * release beyond the in-memory cache is read from {@code gateway.release-details}.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
@WithTestResource(SnapshottedHistory.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetentionRestartTest {

    @Inject ReleaseStore store;

    @BeforeEach
    void ready() {
        Ready.await();
    }

    @Test
    @Order(1)
    void theEarlierRunHeldOnlyItsCacheInMemory() {
        assertTrue(
                SnapshottedHistory.earlierRunCached >= 0
                        && SnapshottedHistory.earlierRunCached <= SnapshottedHistory.CACHE,
                "releases held with their timeline: " + SnapshottedHistory.earlierRunCached);
    }

    @Test
    @Order(1)
    void theAuditTrailOutlivesTheEventTopicsRetention() {
        JsonPath d =
                given().auth()
                        .oauth2(VIEWER_TOKEN)
                        .get("/releases/" + SnapshottedHistory.RELEASE)
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        assertEquals("PROMOTED", d.getString("state"));
        assertEquals(SnapshottedHistory.SHA, d.getString("commitSha"));
        assertEquals(SnapshottedHistory.DELIVERY, d.getString("deliveryId"));
        assertEquals(SnapshottedHistory.DIGEST, d.getString("digest"));
        assertEquals("promoted by " + SnapshottedHistory.OPERATOR, d.getString("reason"));
        assertEquals(10, d.getList("timeline").size());
        Map<String, Object> promo =
                d.getMap("timeline.find { it.type == 'promotion.requested' }.data");
        assertEquals(SnapshottedHistory.OPERATOR, promo.get("operator"));
        assertEquals(SnapshottedHistory.REASON, promo.get("reason"));
        // and the host state of the app came back too
        assertEquals(
                SnapshottedHistory.DIGEST,
                d.getString("hosts.find { it.name == 'docker0' }.digest"));
        assertEquals("READY", d.getString("hosts.find { it.name == 'docker0' }.lbState"));
    }

    @Test
    @Order(1)
    void theDeliveryDedupeOutlivesTheEventTopicsRetention() {
        byte[] body = Github.push(p -> p.put("after", SnapshottedHistory.SHA));
        Github.delivery("push", SnapshottedHistory.DELIVERY, body)
                .post("/webhooks/github")
                .then()
                .statusCode(202)
                .body("releaseId", equalTo(SnapshottedHistory.RELEASE))
                .body("redelivery", equalTo(true))
                .header("Location", endsWith("/releases/" + SnapshottedHistory.RELEASE));
        String fresh = UUID.randomUUID().toString();
        Github.delivery("push", fresh, body)
                .post("/webhooks/github")
                .then()
                .statusCode(200)
                .body("duplicateOf", equalTo(SnapshottedHistory.RELEASE))
                .body("firstDeliveryId", equalTo(SnapshottedHistory.DELIVERY));
    }

    @Test
    @Order(1)
    void theListPagesThroughTheIndexNewestFirst() {
        int size = 4;
        List<String> seen = new ArrayList<>();
        Instant last = Instant.MAX;
        long total = -1;
        for (int page = 0; page < 3; page++) {
            JsonPath p =
                    given().auth()
                            .oauth2(VIEWER_TOKEN)
                            .queryParam("app", "example")
                            .queryParam("page", page)
                            .queryParam("size", size)
                            .get("/releases")
                            .then()
                            .statusCode(200)
                            .extract()
                            .jsonPath();
            total = p.getLong("total");
            List<String> ids = p.getList("items.id", String.class);
            assertEquals(size, ids.size(), "page " + page);
            for (String t : p.getList("items.createdAt", String.class)) {
                Instant i = Instant.parse(t);
                assertFalse(i.isAfter(last), "newest first");
                last = i;
            }
            seen.addAll(ids);
        }
        assertEquals(seen.size(), new HashSet<>(seen).size(), "no release on two pages");
        assertTrue(total >= SnapshottedHistory.LATER + 1, "total " + total);
        // the 12 later releases are the newest of the app: the first three pages list them
        assertEquals(new HashSet<>(SnapshottedHistory.later), new HashSet<>(seen));
    }

    @Test
    @Order(1)
    void theInMemoryIndexStaysAtItsBoundAndTheRestIsPaged() {
        assertTrue(
                SnapshottedHistory.earlierRunIndexed >= 0
                        && SnapshottedHistory.earlierRunIndexed <= SnapshottedHistory.INDEX,
                "settled releases in the earlier run's memory: "
                        + SnapshottedHistory.earlierRunIndexed);
        assertTrue(
                SnapshottedHistory.earlierRunPaged
                        >= SnapshottedHistory.SETTLED + 1 - SnapshottedHistory.INDEX,
                "paged: " + SnapshottedHistory.earlierRunPaged);
        // the gateway under test read only the bounded index, and the directory of the pages
        assertTrue(
                store.settledInMemory() <= SnapshottedHistory.INDEX,
                "settled releases in memory: " + store.settledInMemory());
        assertEquals(SnapshottedHistory.earlierRunPaged, store.paged());
    }

    @Test
    @Order(1)
    void everyPageOfEveryListIsTheSameAsBeforeTheRestart() {
        for (Map<String, String> q : SnapshottedHistory.QUERIES) {
            List<List<String>> before = SnapshottedHistory.listsBefore.get(q);
            List<String> all = new ArrayList<>();
            Instant last = Instant.MAX;
            for (int page = 0; page <= before.size(); page++) {
                var req =
                        given().auth()
                                .oauth2(VIEWER_TOKEN)
                                .queryParam("page", page)
                                .queryParam("size", SnapshottedHistory.LIST_SIZE);
                for (Map.Entry<String, String> e : q.entrySet()) {
                    req = req.queryParam(e.getKey(), e.getValue());
                }
                JsonPath p = req.get("/releases").then().statusCode(200).extract().jsonPath();
                List<String> ids = p.getList("items.id", String.class);
                assertEquals(
                        page < before.size() ? before.get(page) : List.of(),
                        ids,
                        q + ", page " + page);
                assertEquals(
                        SnapshottedHistory.totalsBefore.get(q).longValue(),
                        p.getLong("total"),
                        q + ", total");
                for (String t : p.getList("items.createdAt", String.class)) {
                    Instant i = Instant.parse(t);
                    assertFalse(i.isAfter(last), q + ": newest first");
                    last = i;
                }
                all.addAll(ids);
            }
            assertEquals(all.size(), new HashSet<>(all).size(), q + ": no release on two pages");
            assertEquals(SnapshottedHistory.totalsBefore.get(q).longValue(), all.size(), q + "");
        }
        // the settled releases of the history, paged or not, each where its filter lists it
        List<List<String>> failed = SnapshottedHistory.listsBefore.get(Map.of("state", "FAILED"));
        List<String> failedIds = failed.stream().flatMap(List::stream).toList();
        for (int i = 0; i < SnapshottedHistory.SETTLED; i++) {
            assertEquals(
                    i % 2 == 1,
                    failedIds.contains(SnapshottedHistory.settled.get(i)),
                    "settled release " + i);
        }
    }

    @Test
    @Order(1)
    void anOldPagedReleaseIsReadById() {
        String oldest = SnapshottedHistory.settled.get(0);
        JsonPath d =
                given().auth()
                        .oauth2(VIEWER_TOKEN)
                        .get("/releases/" + oldest)
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath();
        assertEquals(
                SnapshottedHistory.oldestBefore,
                oldest
                        + " "
                        + d.getString("app")
                        + " "
                        + d.getString("state")
                        + " "
                        + d.getString("commitSha")
                        + " "
                        + d.getList("timeline").size()
                        + " events");
        assertEquals("PROMOTED", d.getString("state"));
        given().auth()
                .oauth2(VIEWER_TOKEN)
                .get("/releases/" + UUID.randomUUID())
                .then()
                .statusCode(404);
    }

    @Test
    @Order(2) // it adds to the audited release's timeline
    void anOperatorCommandOnAnEvictedReleaseIsTimelinedAndWrittenToTheSnapshot() throws Exception {
        given().auth()
                .oauth2(OPERATOR_TOKEN)
                .contentType("application/json")
                .body("{\"reason\":\"rollback drill\"}")
                .post("/releases/" + SnapshottedHistory.RELEASE + "/rollback")
                .then()
                .statusCode(202);
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () ->
                                assertEquals(
                                        "rollback drill",
                                        given().auth()
                                                .oauth2(VIEWER_TOKEN)
                                                .get("/releases/" + SnapshottedHistory.RELEASE)
                                                .then()
                                                .statusCode(200)
                                                .extract()
                                                .jsonPath()
                                                .getString(
                                                        "timeline.find { it.type =="
                                                                + " 'rollback.requested' }.data.reason")));
        // the gateway wrote the release's new detail, with the earlier audit and the new one
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () -> {
                            String detail = lastDetail(SnapshottedHistory.RELEASE);
                            return detail != null
                                    && detail.contains("rollback drill")
                                    && detail.contains(SnapshottedHistory.REASON);
                        });
    }

    /** The newest record of {@code id} in {@code gateway.release-details}. */
    static String lastDetail(String id) {
        // a monitoring tool's view: the read-only principal
        Map<String, Object> c = new HashMap<>(KafkaTestResource.clientConfig("monitor"));
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(Topics.GATEWAY_RELEASE_DETAILS)
                    .forEach(
                            p ->
                                    parts.add(
                                            new TopicPartition(
                                                    Topics.GATEWAY_RELEASE_DETAILS,
                                                    p.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            String found = null;
            Set<TopicPartition> todo = new HashSet<>(parts);
            while (todo.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (id.equals(r.key()) && r.value() != null) {
                        found = new String(r.value(), StandardCharsets.UTF_8);
                    }
                }
            }
            return found;
        }
    }
}
