package dev.canaryrelease.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class NotificationParserTest {

    static byte[] resource(String name) {
        try (InputStream in =
                NotificationParserTest.class.getResourceAsStream("/notifications/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void keepsTheTaggedManifestPushAndIgnoresTheConfigBlob() {
        NotificationParser.Parsed p = NotificationParser.parse(resource("push-docker-v2.json"));
        assertEquals(2, p.events());
        assertEquals(1, p.ignored());
        ManifestPush push = p.pushes().get(0);
        assertEquals("example-app", push.repository());
        assertEquals("0123456789ab", push.tag());
        assertEquals(
                "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf",
                push.digest());
        assertEquals(MediaTypes.DOCKER_MANIFEST, push.mediaType());
        assertEquals(Instant.parse("2026-03-09T22:44:26.514973972Z"), push.pushedAt());
        assertEquals("320678d8-ca14-430f-8bb6-4ca139cd83f7", push.notificationId());
        assertEquals("build-service", push.actor(), "actor.name: the user who pushed");
        assertEquals(
                "example-app@sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf"
                        + " 0123456789ab",
                push.key());
    }

    @Test
    void pullsAndHeadChecksAreIgnored() {
        NotificationParser.Parsed p = NotificationParser.parse(resource("pull-get-and-head.json"));
        assertEquals(List.of(), p.pushes());
        assertEquals(2, p.ignored());
    }

    @Test
    void anIndexGivesOneEventPerTagNotOnePerPlatform() {
        NotificationParser.Parsed p = NotificationParser.parse(resource("push-oci-index.json"));
        assertEquals(5, p.events());
        assertEquals(2, p.pushes().size());
        assertEquals("v2", p.pushes().get(0).tag());
        assertEquals(MediaTypes.OCI_INDEX, p.pushes().get(0).mediaType());
        assertEquals("team/example-app", p.pushes().get(0).repository());
        assertEquals(null, p.pushes().get(0).actor(), "actor {}: nobody named");
        assertEquals("latest", p.pushes().get(1).tag());
        assertEquals(MediaTypes.DOCKER_MANIFEST_LIST, p.pushes().get(1).mediaType());
    }

    @Test
    void anOciManifestPushWithATagIsKept() {
        String body =
                """
                {"events":[{"id":"x","timestamp":"2026-01-01T00:00:00Z","action":"push",
                 "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json; charset=utf-8",
                  "digest":"sha256:aa","repository":"example-app","tag":"v1"}}]}
                """;
        NotificationParser.Parsed p =
                NotificationParser.parse(body.getBytes(StandardCharsets.UTF_8));
        assertEquals(MediaTypes.OCI_MANIFEST, p.pushes().get(0).mediaType());
    }

    @Test
    void malformedBodiesSayWhy() {
        assertReason("empty body", "");
        assertReason("not JSON", "{\"events\": [");
        assertReason("not a JSON object", "[1,2]");
        assertReason("no \"events\" array", "{\"events\": 3}");
        assertReason("events[0] is not an object", "{\"events\": [3]}");
        assertReason("events[0].action missing", "{\"events\": [{}]}");
        assertReason("events[0].target missing", "{\"events\": [{\"action\":\"push\"}]}");
        assertReason(
                "events[0].target.digest missing or invalid",
                "{\"events\": [{\"action\":\"push\",\"target\":{\"mediaType\":"
                        + "\"application/vnd.oci.image.manifest.v1+json\",\"repository\":\"a\",\"tag\":\"t\"}}]}");
        assertReason(
                "events[0].target.repository missing or invalid",
                "{\"events\": [{\"action\":\"push\",\"target\":{\"mediaType\":"
                        + "\"application/vnd.oci.image.manifest.v1+json\",\"repository\":\"../x\",\"digest\":\"sha256:aa\",\"tag\":\"t\"}}]}");
        assertReason(
                "events[0].timestamp is not RFC 3339",
                "{\"events\": [{\"action\":\"push\",\"timestamp\":\"yesterday\",\"target\":{\"mediaType\":"
                        + "\"application/vnd.oci.image.manifest.v1+json\",\"repository\":\"a\",\"digest\":\"sha256:aa\",\"tag\":\"t\"}}]}");
    }

    @Test
    void anEmptyEnvelopeIsValid() {
        NotificationParser.Parsed p =
                NotificationParser.parse("{\"events\":[]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, p.events());
        assertTrue(p.pushes().isEmpty());
    }

    private static void assertReason(String expectedStart, String body) {
        MalformedNotificationException e =
                assertThrows(
                        MalformedNotificationException.class,
                        () -> NotificationParser.parse(body.getBytes(StandardCharsets.UTF_8)));
        assertTrue(
                e.getMessage().startsWith(expectedStart),
                "reason '" + e.getMessage() + "' should start with '" + expectedStart + "'");
    }
}
