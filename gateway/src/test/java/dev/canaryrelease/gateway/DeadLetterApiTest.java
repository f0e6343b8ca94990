package dev.canaryrelease.gateway;

import static dev.canaryrelease.gateway.GatewayTestFiles.VIEWER_TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.header.internals.RecordHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.Topics;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * Dead letters are visible (issue 14, point 9): records the services moved aside are counted in
 * each service's {@code canary_dead_letters_total{topic}} and served by {@code GET /dead-letters}
 * with SmallRye's reason, newest first, a bounded page at a time, to viewers. Real broker: the
 * gateway itself dead-letters the poison records sent here; lb-service's dead letter is written to
 * its topic as lb-service's dead-letter producer writes it (its headers).
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(TestFleet.class)
@WithTestResource(GatewayTestFiles.class)
class DeadLetterApiTest {
    static final String GATEWAY_DLQ = Topics.deadLetter("gateway-in");
    static EventSender build;

    @BeforeAll
    static void start() {
        build = new EventSender(KafkaTestResource.bootstrapServers(), "build-service");
    }

    @AfterAll
    static void stop() {
        build.close();
    }

    @BeforeEach
    void ready() {
        Ready.await();
    }

    static JsonPath page(String query) {
        return given().auth()
                .oauth2(VIEWER_TOKEN)
                .get("/dead-letters" + query)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    /** Sends a poison record on build.events and waits until the gateway has dead-lettered it. */
    static String poison(String body) {
        String key = "poison-" + UUID.randomUUID();
        build.sendRaw(Topics.BUILD, key, body.getBytes(StandardCharsets.UTF_8), List.of());
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                page("?topic=" + GATEWAY_DLQ)
                                        .getList("deadLetters.key")
                                        .contains(key));
        return key;
    }

    static double deadLetterCount(String topic) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m =
                Pattern.compile(
                                "canary_dead_letters_total\\{[^}]*topic=\""
                                        + Pattern.quote(topic)
                                        + "\"[^}]*} ([0-9.E+]+)")
                        .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aPoisonRecordIsCountedAndServedWithItsReason() {
        double before = deadLetterCount(Topics.BUILD);
        String key = poison("not a cloud event");
        assertEquals(before + 1, deadLetterCount(Topics.BUILD), 0.0);

        JsonPath p = page("?topic=" + GATEWAY_DLQ + "&limit=1");
        assertEquals(key, p.getString("deadLetters[0].key"));
        assertEquals(GATEWAY_DLQ, p.getString("deadLetters[0].deadLetterTopic"));
        assertEquals(Topics.BUILD, p.getString("deadLetters[0].originalTopic"));
        assertNotNull(p.get("deadLetters[0].originalOffset"));
        assertEquals(
                "not a CloudEvent: missing headers [ce_specversion, ce_id, ce_type, ce_source]",
                p.getString("deadLetters[0].reason"));
        assertEquals("not a cloud event", p.getString("deadLetters[0].value"));
        assertEquals(17, p.getInt("deadLetters[0].valueBytes"));
    }

    @Test
    void everyServicesDeadLettersAreServedNewestFirstAPageAtATime() {
        // as lb-service's dead-letter producer writes a failed handler's record
        String lbKey = "rel-" + UUID.randomUUID();
        // as lb-service's principal: the only one that may write its dead letters
        EventSender lbSender = new EventSender(KafkaTestResource.bootstrapServers(), "lb-service");
        lbSender.sendRaw(
                Topics.deadLetter("lb-in"),
                lbKey,
                "{}".getBytes(StandardCharsets.UTF_8),
                List.of(
                        new RecordHeader(
                                "dead-letter-reason", "load balancer 'a' unreachable".getBytes()),
                        new RecordHeader("dead-letter-topic", Topics.DEPLOY.getBytes()),
                        new RecordHeader("dead-letter-partition", "0".getBytes()),
                        new RecordHeader("dead-letter-offset", "41".getBytes()),
                        new RecordHeader(
                                "ce_type", "dev.canaryrelease.host.update-requested".getBytes())));
        lbSender.close();
        JsonPath all = page("?limit=200");
        assertTrue(all.getList("deadLetters.key").contains(lbKey), all.prettify());
        JsonPath lb = page("?topic=" + Topics.deadLetter("lb-in") + "&limit=200");
        int i = lb.getList("deadLetters.key").indexOf(lbKey);
        assertEquals(
                "load balancer 'a' unreachable", lb.getString("deadLetters[" + i + "].reason"));
        assertEquals(Topics.DEPLOY, lb.getString("deadLetters[" + i + "].originalTopic"));
        assertEquals(41, lb.getLong("deadLetters[" + i + "].originalOffset"));
        assertEquals(
                "dev.canaryrelease.host.update-requested",
                lb.getString("deadLetters[" + i + "].type"));

        String k1 = poison("first");
        String k2 = poison("second");
        String k3 = poison("third");
        JsonPath first = page("?topic=" + GATEWAY_DLQ + "&limit=2");
        assertEquals(List.of(k3, k2), first.getList("deadLetters.key"));
        long next = first.getLong("next");
        JsonPath second = page("?topic=" + GATEWAY_DLQ + "&limit=2&before=" + next);
        assertEquals(k1, second.getString("deadLetters[0].key"));
    }

    @Test
    void onlyViewersAndBoundedPages() {
        given().get("/dead-letters")
                .then()
                .statusCode(401)
                .body("error", equalTo("missing bearer token"));
        for (String bad :
                List.of("limit=0", "limit=201", "limit=x", "before=yesterday", "before=-1")) {
            given().auth()
                    .oauth2(VIEWER_TOKEN)
                    .get("/dead-letters?" + bad)
                    .then()
                    .statusCode(400)
                    .body("error", containsString(bad.startsWith("limit") ? "limit" : "before"));
        }
        given().auth()
                .oauth2(VIEWER_TOKEN)
                .get("/dead-letters?topic=gateway.events")
                .then()
                .statusCode(400)
                .body("error", equalTo("unknown dead-letter topic"))
                .body("topics", hasItem(GATEWAY_DLQ));
    }
}
