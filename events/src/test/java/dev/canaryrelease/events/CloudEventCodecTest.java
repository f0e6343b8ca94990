package dev.canaryrelease.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.codec.PoisonEventException;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.DnsUpdated;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.PauseRequested;
import dev.canaryrelease.events.model.PromotionRejected;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ResumeRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.model.Stage;

class CloudEventCodecTest {
    static final BuildRequested REQ =
            new BuildRequested(
                    "rel-1",
                    "example",
                    "proserveau/example-app",
                    "https://github.com/proserveau/example-app.git",
                    "refs/heads/main",
                    "0123456789abcdef0123456789abcdef01234567",
                    "octocat",
                    "d-1");

    private static Map<String, String> headers(List<Header> hs) {
        return hs.stream()
                .collect(
                        Collectors.toMap(
                                Header::key, h -> new String(h.value(), StandardCharsets.UTF_8)));
    }

    @Test
    void encodesBinaryModeWithTheAppAsKey() {
        EventEnvelope<BuildRequested> e = EventEnvelope.of("/canary-release/gateway", REQ);
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
        Map<String, String> h = headers(enc.headers());
        assertEquals("example", enc.key(), "the app: one instance owns its partition");
        assertEquals("1.0", h.get("ce_specversion"));
        assertEquals(e.id(), h.get("ce_id"));
        assertEquals("dev.canaryrelease.build.requested", h.get("ce_type"));
        assertEquals("/canary-release/gateway", h.get("ce_source"));
        assertEquals("rel-1", h.get("ce_subject"));
        assertEquals(e.time().toString(), h.get("ce_time"));
        assertEquals("application/json", h.get("content-type"));
        assertNull(h.get("ce_causationid"), "the first event of a chain has no cause");
        String json = new String(enc.value(), StandardCharsets.UTF_8);
        assertTrue(
                json.contains("\"commitSha\":\"0123456789abcdef0123456789abcdef01234567\""), json);
    }

    /**
     * Every event and command of a release goes down its app's partition (issue 19): the operators'
     * commands name the app, and only events that belong to no app keep the release id (fleet-wide
     * ones: {@code fleet}; older commands without an app).
     */
    @Test
    void commandsAreKeyedByTheirAppAndEventsWithoutAnAppByTheirReleaseId() {
        String gw = "/canary-release/gateway";
        for (CanaryEvent command :
                List.<CanaryEvent>of(
                        new PromotionRequested("rel-1", "example", "alice", null, false),
                        new AbortRequested("rel-1", "example", "alice", null),
                        new RollbackRequested("rel-1", "example", "alice", null),
                        new PauseRequested("rel-1", "example", "alice", null),
                        new ResumeRequested("rel-1", "example", "alice", null),
                        new PromotionRejected("rel-1", "example", "not live", "PROMOTED"))) {
            assertEquals(
                    "example",
                    CloudEventCodec.encode(EventEnvelope.of(gw, command)).key(),
                    command.toString());
        }
        assertEquals(
                "rel-1",
                CloudEventCodec.encode(
                                EventEnvelope.of(
                                        gw, new PromotionRequested("rel-1", "alice", null)))
                        .key(),
                "a command written before it named its app");
        assertEquals(
                CanaryEvent.NO_RELEASE,
                CloudEventCodec.encode(
                                EventEnvelope.of(
                                        "/canary-release/dns-service",
                                        new DnsUpdated(
                                                CanaryEvent.NO_RELEASE,
                                                "swarm.proserveau.local",
                                                "CNAME",
                                                "docker0")))
                        .key());
    }

    @Test
    void aCommandOfBeforeTheAppWasNamedStillDecodes() {
        byte[] old =
                "{\"releaseId\":\"rel-1\",\"operator\":\"alice\",\"reason\":\"ok\"}"
                        .getBytes(StandardCharsets.UTF_8);
        EventEnvelope<PromotionRequested> e =
                EventEnvelope.of(
                        "/canary-release/gateway", new PromotionRequested("rel-1", "a", "b"));
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
        var back = CloudEventCodec.decode(new RecordHeaders(enc.headers()), old).orElseThrow();
        assertEquals(new PromotionRequested("rel-1", null, "alice", "ok", false), back.data());
    }

    @Test
    void roundTripCarriesTheCausationId() {
        EventEnvelope<BuildRequested> cause = EventEnvelope.of("/canary-release/gateway", REQ);
        EventEnvelope<HostDrained> next =
                cause.causes(
                        "/canary-release/lb-service",
                        new HostDrained("rel-1", "example", "docker0", Stage.CANARY, 2, 40, false));
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(next);
        Optional<EventEnvelope<CanaryEvent>> back =
                CloudEventCodec.decode(new RecordHeaders(enc.headers()), enc.value());
        assertEquals(next, back.orElseThrow());
        assertEquals(cause.id(), back.get().causationId());
        assertTrue(
                new String(enc.value(), StandardCharsets.UTF_8).contains("\"stage\":\"canary\""));
    }

    @Test
    void anAnalysisWindowAndItsVerdictRoundTripWithTheirNumbers() {
        var window =
                new dev.canaryrelease.events.model.AnalysisWindow(
                        "rel-1",
                        "example",
                        3,
                        java.time.Instant.parse("2026-12-03T08:00:00Z"),
                        java.time.Instant.parse("2026-12-03T08:00:10Z"),
                        List.of(
                                new dev.canaryrelease.events.analysis.ServerWindow(
                                        "docker0",
                                        "docker0",
                                        true,
                                        "UP",
                                        120,
                                        12,
                                        1,
                                        0,
                                        dev.canaryrelease.events.analysis.LatencyHistogram.of(
                                                1, 1, 2, 302))),
                        List.of("cfgmgr: 3 log lines dropped"));
        EventEnvelope<dev.canaryrelease.events.model.AnalysisWindow> e =
                EventEnvelope.of("/canary-release/lb-service", window);
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(e);
        String json = new String(enc.value(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"buckets\":[{\"ms\":1,\"count\":2}"), json);
        assertTrue(json.contains("\"start\":\"2026-12-03T08:00:00Z\""), json);
        assertEquals(
                e,
                CloudEventCodec.decode(new RecordHeaders(enc.headers()), enc.value())
                        .orElseThrow());

        var verdict =
                new dev.canaryrelease.events.model.AnalysisVerdict(
                        "rel-1",
                        "example",
                        3,
                        dev.canaryrelease.events.analysis.Verdict.Outcome.FAIL,
                        "the canary failed 13 of 120 requests",
                        new dev.canaryrelease.events.analysis.Verdict.Numbers(
                                120, 13, 0.108, 400, 0, 0, 4, 2, 302, 400, 2, 4, 0, 100, 9.5, 0.3,
                                0.38),
                        1,
                        2);
        EventEnvelope<dev.canaryrelease.events.model.AnalysisVerdict> v =
                e.causes("/canary-release/deploy-service", verdict);
        CloudEventCodec.Encoded venc = CloudEventCodec.encode(v);
        assertEquals(
                v,
                CloudEventCodec.decode(new RecordHeaders(venc.headers()), venc.value())
                        .orElseThrow());
        assertTrue(
                new String(venc.value(), StandardCharsets.UTF_8).contains("\"outcome\":\"FAIL\""));
    }

    @Test
    void unknownTypeIsSkipped() {
        EventEnvelope<BuildRequested> e = EventEnvelope.of("/x", REQ);
        RecordHeaders hs = new RecordHeaders(CloudEventCodec.encode(e).headers());
        hs.remove("ce_type");
        hs.add(new RecordHeader("ce_type", "dev.canaryrelease.something.new".getBytes()));
        assertTrue(CloudEventCodec.decode(hs, "{}".getBytes()).isEmpty());
    }

    @Test
    void missingHeadersArePoisonNamingThem() {
        PoisonEventException ex =
                assertThrows(
                        PoisonEventException.class,
                        () -> CloudEventCodec.decode(new RecordHeaders(), "{}".getBytes()));
        assertTrue(ex.getMessage().contains("ce_specversion"), ex.getMessage());
        assertTrue(ex.getMessage().contains("ce_type"), ex.getMessage());
    }

    @Test
    void unparsableBodyIsPoison() {
        EventEnvelope<BuildRequested> e = EventEnvelope.of("/x", REQ);
        RecordHeaders hs = new RecordHeaders(CloudEventCodec.encode(e).headers());
        PoisonEventException ex =
                assertThrows(
                        PoisonEventException.class,
                        () -> CloudEventCodec.decode(hs, "{not json".getBytes()));
        assertTrue(ex.getMessage().contains("unparsable body"), ex.getMessage());
        PoisonEventException noRelease =
                assertThrows(
                        PoisonEventException.class,
                        () -> CloudEventCodec.decode(hs, "{\"app\":\"x\"}".getBytes()));
        assertTrue(noRelease.getMessage().contains("no releaseId"), noRelease.getMessage());
    }

    @Test
    void everyTypeHasAUniqueNameAndAWriterTopic() {
        for (EventType t : EventType.values()) {
            assertTrue(t.type().startsWith("dev.canaryrelease."), t.type());
            assertTrue(Topics.ALL.contains(t.topic()), t + " writes to " + t.topic());
            assertEquals(t, EventType.ofType(t.type()).orElseThrow());
        }
    }
}
