package dev.canaryrelease.dns;

import static dev.canaryrelease.testsupport.TestTokens.OPERATOR_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.VIEWER_TOKEN;
import static dev.canaryrelease.testsupport.TestTokens.bearer;
import static io.restassured.RestAssured.given;
import static jakarta.ws.rs.core.HttpHeaders.AUTHORIZATION;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.dns.client.HostsBlock;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.DnsUpdated;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/** dns-service with the hosts-file backend, over a real sshd, on a hosts file in a temp dir. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(SshHostsTestResource.class)
class DnsHostsFileTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static EventSender sender;
    static EventCapture capture;

    @BeforeAll
    static void start() {
        sender = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture =
                EventCapture.start(
                        KafkaTestResource.bootstrapServers(), dev.canaryrelease.events.Topics.DNS);
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    @Test
    void theBlockIsWrittenAtStartRewrittenForTheCanaryAndTheLinesAroundItStay() {
        Awaitility.await()
                .atMost(WAIT)
                .until(() -> hostsFile().contains("127.0.0.12\tswarm.proserveau.local swarm\n"));
        String text = hostsFile();
        assertTrue(text.startsWith(SshHostsTestResource.HEAD), text);
        // the old last line had no newline: one is added before the block, nothing else changes
        assertTrue(
                text.startsWith(
                        SshHostsTestResource.HEAD
                                + SshHostsTestResource.TAIL
                                + "\n"
                                + HostsBlock.BEGIN
                                + "\n"),
                text);
        assertTrue(text.endsWith(HostsBlock.END + "\n"), text);
        assertTrue(text.contains("127.0.0.11\tdocker0.proserveau.local docker0\n"), text);
        assertTrue(text.contains("127.0.0.10\texample.proserveau.local example\n"), text);
        String outside = text.substring(0, text.indexOf(HostsBlock.BEGIN));

        given().header(AUTHORIZATION, bearer(VIEWER_TOKEN))
                .get("/records")
                .then()
                .statusCode(200)
                .body("backend", is("hosts-file"))
                .body("records.verified", everyItem(is(true)))
                .body("unmanaged", hasItem(org.hamcrest.Matchers.startsWith("cfgmgr")));

        String release = UUID.randomUUID().toString();
        EventEnvelope<CanaryLive> live =
                sender.send(new CanaryLive(release, "example", List.of("docker0"), "sha256:abc"));
        EventEnvelope<?> added = capture.await(release, EventType.DNS_UPDATED, WAIT);
        assertEquals(live.id(), added.causationId());
        assertEquals("canary.example.proserveau.local", ((DnsUpdated) added.data()).name());
        text = hostsFile();
        assertTrue(
                text.contains("127.0.0.11\tcanary.example.proserveau.local canary.example\n"),
                text);
        assertEquals(outside, text.substring(0, text.indexOf(HostsBlock.BEGIN)));

        sender.send(live, new ReleaseAborted(release, "example", "sha256:abc", "operator"));
        Awaitility.await().atMost(WAIT).until(() -> !hostsFile().contains("canary.example"));
        text = hostsFile();
        assertEquals(outside, text.substring(0, text.indexOf(HostsBlock.BEGIN)));
        assertTrue(text.endsWith(HostsBlock.END + "\n"), text);
        assertFalse(text.contains("canary.example"), text);

        // a hand edit inside the block is drift: reconcile puts the block back
        String edited = text.replace("127.0.0.11\tdocker0", "10.6.6.6\tdocker0");
        write(edited);
        given().header(AUTHORIZATION, bearer(OPERATOR_TOKEN))
                .post("/reconcile")
                .then()
                .statusCode(200)
                .body("changes.ok", everyItem(is(true)));
        assertTrue(hostsFile().contains("127.0.0.11\tdocker0.proserveau.local docker0\n"));
        assertEquals(outside, hostsFile().substring(0, hostsFile().indexOf(HostsBlock.BEGIN)));
    }

    static String hostsFile() {
        try {
            return Files.readString(SshHostsTestResource.hostsFile, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void write(String text) {
        try {
            Files.writeString(SshHostsTestResource.hostsFile, text, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
