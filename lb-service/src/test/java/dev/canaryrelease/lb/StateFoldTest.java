package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.snapshot.SnapshotTopic;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.StateFold;

/** The fold of lb-service's events that its snapshot stores, without Kafka. */
class StateFoldTest {
    static final ServerKey D0 = new ServerKey("web", "docker0");
    static final ServerKey D1 = new ServerKey("web", "docker1");
    static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
    static final String DIGEST = "sha256:" + "e".repeat(64);

    long lbOffset;
    long deployOffset;

    static Optional<ServerKey> serverOf(String app, String host) {
        return app.equals("example") ? Optional.of(new ServerKey("web", host)) : Optional.empty();
    }

    @SuppressWarnings("unchecked")
    static <T extends CanaryEvent> EventEnvelope<T> event(
            String source, EventEnvelope<?> cause, T data, Instant at) {
        EventEnvelope<T> e =
                cause == null
                        ? EventEnvelope.of(EventEnvelope.sourceOf(source), data)
                        : (EventEnvelope<T>)
                                (EventEnvelope<?>)
                                        cause.causes(EventEnvelope.sourceOf(source), data);
        return new EventEnvelope<>(
                e.id(), e.type(), e.source(), e.subject(), at, e.causationId(), e.data());
    }

    EventEnvelope<?> deploy(StateFold f, EventEnvelope<?> cause, CanaryEvent d, Instant at) {
        EventEnvelope<CanaryEvent> e = event("deploy-service", cause, d, at);
        f.apply(Topics.DEPLOY, 0, deployOffset++, Optional.of(e), StateFoldTest::serverOf);
        return e;
    }

    EventEnvelope<?> lb(StateFold f, EventEnvelope<?> cause, CanaryEvent d, Instant at) {
        EventEnvelope<CanaryEvent> e = event("lb-service", cause, d, at);
        f.apply(Topics.LB, 0, lbOffset++, Optional.of(e), StateFoldTest::serverOf);
        return e;
    }

    @Test
    void aRestoredFoldWantsWhatTheEventsSaidHoldsWhatIsUnansweredAndKnowsItsPositions() {
        StateFold f = new StateFold();
        String r = UUID.randomUUID().toString();
        // docker0: drained for a swap (maint); docker1: its enable failed (maint)
        var req0 =
                deploy(
                        f,
                        null,
                        new HostUpdateRequested(r, "example", "docker0", Stage.CANARY, DIGEST),
                        T);
        lb(
                f,
                req0,
                new HostDrained(r, "example", "docker0", Stage.CANARY, 0, 5, false),
                T.plusSeconds(1));
        var req1 =
                deploy(
                        f,
                        null,
                        new HostUpdateRequested(r, "example", "docker1", Stage.CANARY, DIGEST),
                        T);
        lb(f, req1, new HostEnabled(r, "example", "docker1", Stage.CANARY), T.plusSeconds(2));
        lb(
                f,
                req1,
                new HostEnableFailed(r, "example", "docker1", Stage.CANARY, "not UP"),
                T.plusSeconds(3));
        // an unreadable record and an app the fleet does not have are only passed
        f.apply(Topics.LB, 0, lbOffset++, Optional.empty(), StateFoldTest::serverOf);
        lb(
                f,
                null,
                new HostDrained(r, "other", "docker0", Stage.CANARY, 0, 1, false),
                T.plusSeconds(4));
        // docker1 again: a request not answered yet
        var open =
                deploy(
                        f,
                        null,
                        new HostUpdateRequested(r, "example", "docker1", Stage.PROMOTION, DIGEST),
                        T.plusSeconds(5));

        StateFold.Snapshot s = f.take().orElseThrow();
        assertEquals(Map.of("lb.events:0", 5L, "deploy.events:0", 3L), s.next());
        assertTrue(f.take().isEmpty(), "nothing changed since");

        // through the snapshot's JSON, as the topic holds it
        List<StateFold.Server> stored =
                s.servers().stream()
                        .map(
                                x ->
                                        SnapshotTopic.read(
                                                SnapshotTopic.json(x),
                                                StateFold.Server.class,
                                                "test"))
                        .toList();
        StateFold g = new StateFold();
        g.restore(stored, s.next());
        assertEquals(AdminState.MAINT, g.wanted(D0).orElseThrow().state());
        assertEquals(T.plusSeconds(1), g.wanted(D0).orElseThrow().at());
        assertEquals(r, g.wanted(D0).orElseThrow().releaseId());
        assertEquals(AdminState.MAINT, g.wanted(D1).orElseThrow().state());
        assertFalse(g.pending().held(D0), "docker0's drain was answered");
        assertTrue(g.pending().held(D1), "docker1's promotion request is unanswered");
        assertEquals(s.next(), g.next());

        // the restored fold goes on: the open request is answered by its id
        lbOffset = 5;
        deployOffset = 3;
        lb(
                g,
                open,
                new HostDrained(r, "example", "docker1", Stage.PROMOTION, 0, 1, false),
                T.plusSeconds(6));
        assertFalse(g.pending().held(D1));
        assertEquals(6L, g.next().get("lb.events:0"));
    }

    @Test
    void anOlderEventNeverOverridesANewerDecisionAndAnUnwrittenSnapshotIsHandedOverAgain() {
        StateFold f = new StateFold();
        String r = UUID.randomUUID().toString();
        lb(f, null, new HostEnabled(r, "example", "docker0", Stage.CANARY), T.plusSeconds(10));
        lb(f, null, new HostDrained(r, "example", "docker0", Stage.CANARY, 0, 1, false), T);
        assertEquals(AdminState.READY, f.wanted(D0).orElseThrow().state());

        StateFold.Snapshot s = f.take().orElseThrow();
        f.unwritten(s);
        StateFold.Snapshot again = f.take().orElseThrow();
        assertEquals(
                s.servers().stream().map(StateFold.Server::key).toList(),
                again.servers().stream().map(StateFold.Server::key).toList());
        assertEquals(s.next(), again.next());
    }

    @Test
    void aWeightedCanarysWeightsAreFoldedAndOutliveASnapshotAndTheConfiguredOnesComeBack() {
        StateFold f = new StateFold();
        String r = UUID.randomUUID().toString();
        lb(
                f,
                null,
                new dev.canaryrelease.events.model.CanaryWeightSet(
                        r,
                        "example",
                        "web",
                        1,
                        0.05,
                        0.05,
                        Map.of("docker0", 1, "docker1", 19),
                        null),
                T);
        assertEquals(19, f.weight(D1).orElseThrow().weight());
        assertEquals(r, f.weight(D0).orElseThrow().releaseId());

        StateFold.Snapshot s = f.take().orElseThrow();
        List<StateFold.Server> stored =
                s.servers().stream()
                        .map(
                                x ->
                                        SnapshotTopic.read(
                                                SnapshotTopic.json(x),
                                                StateFold.Server.class,
                                                "test"))
                        .toList();
        StateFold g = new StateFold();
        g.restore(stored, s.next());
        assertEquals(1, g.weight(D0).orElseThrow().weight());
        assertEquals(19, g.weight(D1).orElseThrow().weight());
        assertEquals(T, g.weight(D1).orElseThrow().at());

        // the release left the canary: step 0 wants the configured weights back
        lb(
                g,
                null,
                new dev.canaryrelease.events.model.CanaryWeightSet(
                        r,
                        "example",
                        "web",
                        0,
                        null,
                        0.5,
                        Map.of("docker0", 1, "docker1", 1),
                        "the release is PROMOTING: the configured weights are back"),
                T.plusSeconds(5));
        assertTrue(g.weight(D1).orElseThrow().configured());
        assertEquals(
                dev.canaryrelease.lb.domain.WantedWeight.CONFIGURED,
                g.weight(D0).orElseThrow().weight());
        // a snapshot of before the weights (no weight field) still reads
        StateFold.Server old =
                SnapshotTopic.read(
                        ("{\"key\":{\"backend\":\"web\",\"server\":\"docker0\"},\"wanted\":null,"
                                        + "\"held\":null}")
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        StateFold.Server.class,
                        "test");
        assertEquals(null, old.weight());
    }
}
