package dev.canaryrelease.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.Stage;

/** One release's history as five services wrote it, their clocks skewed by up to ±5 s. */
class ReplayOrderTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    static final String D = "sha256:" + "2".repeat(64);

    record Step(String id, String cause, String service, long atMs, CanaryEvent data) {}

    /** The real order of a canary and its promotion (what each service saw, live). */
    static final List<Step> LIVE =
            List.of(
                    new Step(
                            "br",
                            null,
                            "gateway",
                            0,
                            new BuildRequested(
                                    "r", "app", "o/app", "u", "refs/heads/main", "c", "p", "d")),
                    new Step(
                            "bs",
                            "br",
                            "build-service",
                            1000,
                            new BuildSucceeded("r", "app", "img", "t", D, 900, null)),
                    new Step(
                            "ip",
                            "bs",
                            "registry-service",
                            2000,
                            new ImagePushed("r", "app", "img", "t", D, "build-service")),
                    new Step(
                            "hur",
                            "ip",
                            "deploy-service",
                            2100,
                            new HostUpdateRequested("r", "app", "docker0", Stage.CANARY, D)),
                    new Step(
                            "hd",
                            "hur",
                            "lb-service",
                            2200,
                            new HostDrained("r", "app", "docker0", Stage.CANARY, 0, 5, false)),
                    new Step(
                            "hu",
                            "hd",
                            "deploy-service",
                            3000,
                            new HostUpdated("r", "app", "docker0", Stage.CANARY, D, null)),
                    new Step(
                            "he",
                            "hu",
                            "lb-service",
                            3500,
                            new HostEnabled("r", "app", "docker0", Stage.CANARY)),
                    new Step(
                            "cl",
                            "he",
                            "deploy-service",
                            3600,
                            new CanaryLive("r", "app", List.of("docker0"), D)),
                    new Step(
                            "pr",
                            "cl",
                            "gateway",
                            4000,
                            new PromotionRequested("r", "alice", null)));

    /** Each service's events in its topic's offset order, at its own clock's time. */
    static List<List<EventEnvelope<CanaryEvent>>> partitions(long... skewMs) {
        List<String> services =
                List.of(
                        "gateway",
                        "build-service",
                        "registry-service",
                        "deploy-service",
                        "lb-service");
        List<List<EventEnvelope<CanaryEvent>>> parts = new ArrayList<>();
        for (int i = 0; i < services.size(); i++) {
            List<EventEnvelope<CanaryEvent>> p = new ArrayList<>();
            for (Step s : LIVE) {
                if (!s.service().equals(services.get(i))) continue;
                Instant at = T0.plusMillis(s.atMs()).plus(Duration.ofMillis(skewMs[i]));
                p.add(
                        new EventEnvelope<>(
                                s.id(),
                                EventType.of(s.data()),
                                EventEnvelope.sourceOf(s.service()),
                                "r",
                                at,
                                s.cause(),
                                s.data()));
            }
            parts.add(p);
        }
        return parts;
    }

    static List<String> ids(List<EventEnvelope<CanaryEvent>> events) {
        return events.stream().map(EventEnvelope::id).toList();
    }

    static final List<String> LIVE_ORDER = LIVE.stream().map(Step::id).toList();

    @Test
    void withTrueClocksTheOrderIsTheLiveOne() {
        assertEquals(LIVE_ORDER, ids(ReplayOrder.merge(partitions(0, 0, 0, 0, 0))));
    }

    @Test
    void clocksSkewedByFiveSecondsGiveTheLiveOrderWhereSortingByTimeDoesNot() {
        // gateway -5 s, build +5 s, registry 0, deploy +5 s, lb -5 s
        var parts = partitions(-5000, 5000, 0, 5000, -5000);
        assertEquals(LIVE_ORDER, ids(ReplayOrder.merge(parts)));
        // what the replay did before: host.drained ahead of the request that caused it
        List<EventEnvelope<CanaryEvent>> byTime = new ArrayList<>();
        parts.forEach(byTime::addAll);
        byTime.sort(Comparator.comparing(EventEnvelope::time));
        assertNotEquals(LIVE_ORDER, ids(byTime));
        assertEquals("hd", ids(byTime).get(1));
    }

    @Test
    void everySkewOfFiveSecondsEachWayGivesTheLiveOrder() {
        long[] s = {-5000, 0, 5000};
        for (long a : s)
            for (long b : s)
                for (long c : s)
                    for (long d : s)
                        for (long e : s) {
                            assertEquals(
                                    LIVE_ORDER,
                                    ids(ReplayOrder.merge(partitions(a, b, c, d, e))),
                                    a + " " + b + " " + c + " " + d + " " + e);
                        }
    }

    @Test
    void aCauseOutsideTheHistoryDoesNotHoldItsEffectBack() {
        var parts = partitions(0, 0, 0, 0, 0);
        parts.get(0).remove(0); // build.requested expired from its topic
        assertEquals(LIVE_ORDER.subList(1, LIVE_ORDER.size()), ids(ReplayOrder.merge(parts)));
    }
}
