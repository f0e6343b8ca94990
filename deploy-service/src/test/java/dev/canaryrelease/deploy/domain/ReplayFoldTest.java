package dev.canaryrelease.deploy.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;

/** The start-up fold and the phase announcements deploy-service owes its readers. */
class ReplayFoldTest {
    static final String APP = "example";
    static final String OWN = "/canary-release/deploy-service";
    static final String V2 = "sha256:" + "2".repeat(64);

    final Policy policy =
            new Policy(List.of("c0"), List.of("p1"), List.of("100%"), 1, false, Duration.ZERO);
    final ReplayFold fold =
            new ReplayFold(new Rollouts(policy, Set.of(APP)), OWN, List.of(), Map.of());
    Instant clock = Instant.parse("2026-01-01T00:00:00Z");
    final List<EventEnvelope<CanaryEvent>> history = new ArrayList<>();

    EventEnvelope<CanaryEvent> event(EventEnvelope<?> cause, String source, CanaryEvent data) {
        clock = clock.plusMillis(10);
        EventEnvelope<CanaryEvent> e =
                new EventEnvelope<>(
                        UUID.randomUUID().toString(),
                        EventType.of(data),
                        source,
                        data.releaseId(),
                        clock,
                        cause == null ? null : cause.id(),
                        data);
        history.add(e);
        return e;
    }

    /** A canary that went live, as history written by a version without announcements holds it. */
    EventEnvelope<CanaryEvent> liveCanaryWithoutAnnouncements(String id) {
        var req =
                event(
                        null,
                        "/canary-release/gateway",
                        new BuildRequested(id, APP, "o/r", "u", "refs/heads/main", "c", "me", "d"));
        var started =
                event(req, "/canary-release/build-service", new BuildStarted(id, APP, "c", null));
        var built =
                event(
                        started,
                        "/canary-release/build-service",
                        new BuildSucceeded(id, APP, "example-app", "t", V2, 1, null));
        var pushed =
                event(
                        built,
                        "/canary-release/registry-service",
                        new ImagePushed(id, APP, "example-app", "t", V2));
        var up = event(pushed, OWN, new HostUpdateRequested(id, APP, "c0", Stage.CANARY, V2));
        var drained =
                event(
                        up,
                        "/canary-release/lb-service",
                        new HostDrained(id, APP, "c0", Stage.CANARY, 0, 1, false));
        var updated = event(drained, OWN, new HostUpdated(id, APP, "c0", Stage.CANARY, V2, null));
        var enabled =
                event(
                        updated,
                        "/canary-release/lb-service",
                        new HostEnabled(id, APP, "c0", Stage.CANARY));
        event(enabled, OWN, new CanaryLive(id, APP, List.of("c0"), V2));
        return enabled;
    }

    List<ReleasePhaseChanged> owedAnnouncements() {
        history.forEach(fold::apply);
        fold.settle();
        return fold.outstanding().stream()
                .map(ReplayFold.Pending::command)
                .filter(
                        c ->
                                c instanceof Command.Emit em
                                        && em.data() instanceof ReleasePhaseChanged)
                .map(c -> (ReleasePhaseChanged) ((Command.Emit) c).data())
                .toList();
    }

    @Test
    void historyFromBeforeAnnouncementsOwesOnlyEachReleasesPhaseNow() {
        liveCanaryWithoutAnnouncements("r1");
        // BUILDING, BUILT and CANARY_UPDATING were replaced by later moves: not published again
        assertEquals(
                List.of(
                        new ReleasePhaseChanged(
                                "r1", APP, Phase.CANARY_LIVE, Phase.CANARY_UPDATING)),
                owedAnnouncements());
    }

    @Test
    void aPublishedAnnouncementIsNotOwed() {
        var enabled = liveCanaryWithoutAnnouncements("r1");
        event(
                enabled,
                OWN,
                new ReleasePhaseChanged("r1", APP, Phase.CANARY_LIVE, Phase.CANARY_UPDATING));
        assertEquals(List.of(), owedAnnouncements());
    }
}
