package dev.canaryrelease.dns;

import static dev.canaryrelease.testsupport.TestTokens.OPERATOR_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.DnsUpdateFailed;
import dev.canaryrelease.events.model.DnsUpdated;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** dns-service on a real named with a TSIG-protected zone. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(NamedTestResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsBindTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static EventSender sender;
    static EventCapture capture;

    @BeforeAll
    static void start() {
        sender = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture =
                EventCapture.start(
                        KafkaTestResource.bootstrapServers(),
                        Topics.DNS,
                        Topics.deadLetter("dns-in"));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    @Test
    @Order(1)
    void recordsAreCreatedAtStart() {
        await(() -> query("docker0", Type.A).equals(List.of("127.0.0.11")));
        assertEquals(List.of("127.0.0.10"), query("cfgmgr", Type.A));
        assertEquals(List.of("127.0.0.12"), query("docker1", Type.A));
        assertEquals(List.of("127.0.0.13"), query("docker2", Type.A));
        assertEquals(List.of("docker1.proserveau.local."), query("swarm", Type.CNAME));
        assertEquals(List.of("127.0.0.10"), query("example", Type.A));
        assertEquals(List.of(), query("canary.example", Type.A));
        assertEquals(45L, ttl("docker0", Type.A));

        DnsUpdated updated =
                (DnsUpdated)
                        capture.await(
                                        e ->
                                                e.data() instanceof DnsUpdated u
                                                        && u.name()
                                                                .equals("swarm.proserveau.local"),
                                        WAIT)
                                .data();
        assertEquals("CNAME", updated.type());
        assertEquals("docker1.proserveau.local.", updated.value());
        assertEquals(CanaryEvent.NO_RELEASE, updated.releaseId());

        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("backend", is("bind"))
                .body("records.find { it.name == 'docker0' }.values", hasItem("127.0.0.11"))
                .body("records.find { it.name == 'docker0' }.ttl", is(45))
                .body("records.verified", everyItem(is(true)))
                .body("records.find { it.name == 'swarm' }.targets[0].state", is("verified"));
    }

    @Test
    @Order(2)
    void canaryNameAppearsOnCanaryLiveAndGoesOnPromotion() {
        // a poison record first: it goes to the dead-letter topic and the next event is handled
        sender.sendRaw(
                Topics.DEPLOY,
                "garbage",
                "\u0000\u00ffnot a cloud event".getBytes(StandardCharsets.ISO_8859_1),
                List.of());
        String release = UUID.randomUUID().toString();
        EventEnvelope<CanaryLive> live =
                sender.send(new CanaryLive(release, "example", List.of("docker0"), "sha256:abc"));

        EventEnvelope<CanaryEvent> added = capture.await(release, EventType.DNS_UPDATED, WAIT);
        assertEquals(live.id(), added.causationId());
        DnsUpdated a = (DnsUpdated) added.data();
        assertEquals("canary.example.proserveau.local", a.name());
        assertEquals("A", a.type());
        assertEquals("127.0.0.11", a.value());
        assertEquals(List.of("127.0.0.11"), query("canary.example", Type.A));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("records.find { it.name == 'canary.example' }.verified", is(true))
                .body("records.find { it.name == 'canary.example' }.releaseId", is(release));

        EventCapture.Captured dead =
                capture.awaitRecord(
                        r -> r.record().topic().equals(Topics.deadLetter("dns-in")), WAIT);
        assertEquals("garbage", dead.record().key());
        assertEquals(null, dead.header(CloudEventCodec.H_TYPE));

        EventEnvelope<ReleasePromoted> promoted =
                sender.send(live, new ReleasePromoted(release, "example", "sha256:abc", "done"));
        EventEnvelope<CanaryEvent> removed =
                capture.await(
                        e ->
                                e.releaseId().equals(release)
                                        && e.data() instanceof DnsUpdated u
                                        && u.value().isEmpty(),
                        WAIT);
        assertEquals(promoted.id(), removed.causationId());
        assertEquals(List.of(), query("canary.example", Type.A));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("records.name", org.hamcrest.Matchers.not(hasItem("canary.example")));
    }

    @Test
    @Order(3)
    void anUpdateWithAWrongKeyIsRefusedAndReportedWithNothingApplied() throws IOException {
        NamedTestResource.named.restartFromOriginalZone();
        assertEquals(List.of(), query("docker0", Type.A));
        byte[] wrong = new byte[32];
        new java.security.SecureRandom().nextBytes(wrong);
        Files.writeString(
                NamedTestResource.secretFile, Base64.getEncoder().encodeToString(wrong) + "\n");
        try {
            given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                    .post("/reconcile")
                    .then()
                    .statusCode(502)
                    .body("changes.ok", everyItem(is(false)))
                    .body("changes.reason", hasItem(containsString("NOTAUTH/BADSIG")));
            DnsUpdateFailed failed =
                    (DnsUpdateFailed)
                            capture.await(
                                            e ->
                                                    e.data() instanceof DnsUpdateFailed f
                                                            && f.name()
                                                                    .equals(
                                                                            "docker0.proserveau.local"),
                                            WAIT)
                                    .data();
            assertTrue(failed.reason().contains("NOTAUTH/BADSIG"), failed.reason());
            assertEquals("127.0.0.11", failed.value());
            assertEquals(List.of(), query("docker0", Type.A));
            assertEquals(List.of(), query("swarm", Type.CNAME));
            given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                    .get("/records")
                    .then()
                    .statusCode(200)
                    .body("records.find { it.name == 'docker0' }.targets[0].state", is("missing"));
        } finally {
            NamedTestResource.restoreSecret();
        }
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(200);
        assertEquals(List.of("127.0.0.11"), query("docker0", Type.A));
    }

    @Test
    @Order(4)
    void aRestartedServerLosesTheRecordsAndReconcileRestoresThem() {
        NamedTestResource.named.stop();
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(502)
                .body("changes[0].reason", containsString("unreachable"))
                .body("changes[0].reason", containsString("connection refused"));
        NamedTestResource.named.resetZone();
        NamedTestResource.named.start();
        assertEquals(List.of(), query("docker0", Type.A));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("records.find { it.name == 'swarm' }.verified", is(false));

        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(200)
                .body("changes.name", hasItem("docker0.proserveau.local"))
                .body("changes.ok", everyItem(is(true)));
        assertEquals(List.of("127.0.0.11"), query("docker0", Type.A));
        assertEquals(List.of("docker1.proserveau.local."), query("swarm", Type.CNAME));
        assertEquals(List.of("127.0.0.10"), query("example", Type.A));
        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("records.verified", everyItem(is(true)));
        // nothing left to do: a second reconcile changes nothing
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(200)
                .body("changes.size()", is(0));
    }

    // ---- helpers: ask the real server with dnsjava ----------------------------------------

    static List<String> query(String name, int type) {
        List<String> out = new ArrayList<>();
        for (org.xbill.DNS.Record r : answer(name, type)) {
            if (r instanceof ARecord a) {
                out.add(a.getAddress().getHostAddress());
            } else if (r instanceof CNAMERecord c) {
                out.add(c.getTarget().toString());
            }
        }
        return out.stream().sorted().toList();
    }

    static long ttl(String name, int type) {
        return answer(name, type).get(0).getTTL();
    }

    private static List<org.xbill.DNS.Record> answer(String name, int type) {
        try {
            SimpleResolver r =
                    new SimpleResolver(
                            new InetSocketAddress(
                                    InetAddress.getLoopbackAddress(),
                                    NamedTestResource.named.port()));
            r.setTCP(true);
            Name n = Name.fromString(name + ".proserveau.local.");
            Message m =
                    r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(n, type, DClass.IN)));
            return m.getSection(Section.ANSWER).stream()
                    .filter(x -> x.getType() == type && x.getName().equals(n))
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(condition);
    }
}
