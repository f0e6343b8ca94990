package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbAnalysisResource.haproxy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.CanaryShareServed;
import dev.canaryrelease.events.model.CanaryWeightRequested;
import dev.canaryrelease.events.model.CanaryWeightSet;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * Weighted canaries on one real HAProxy under load (docker0 the canary, docker1 the baseline;
 * {@code balance roundrobin}): deploy-service's {@code canary.weight-requested} sets HAProxy's
 * server weights, lb-service answers {@code canary.weight-set} and reports the share the canary
 * served over the step ({@code canary.share-served}, from {@code stot}); a reload that lost the
 * weights gets them back from the reconciler; the release leaving the canary (promotion, abort)
 * puts the configured weights back.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbAnalysisResource.class)
class LbWeightsTest {
    static final Duration EVENT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "c".repeat(64);

    static EventSender sender;
    static EventCapture capture;

    @Inject WantedStates wanted;

    @BeforeAll
    static void start() {
        sender = new EventSender(KafkaTestResource.bootstrapServers(), "deploy-service");
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.LB);
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    /** What HAProxy says: {@code get weight web/<server>} gives "<current> (initial <n>)". */
    static int weight(String server) {
        String answer = haproxy.command("get weight web/" + server).strip();
        return Integer.parseInt(answer.substring(0, answer.indexOf(' ')));
    }

    static long sessions() {
        return haproxy.column("stot").values().stream().mapToLong(Long::parseLong).sum();
    }

    <T> T awaitEvent(String release, Class<T> type, java.util.function.Predicate<T> match) {
        return Awaitility.await()
                .atMost(EVENT)
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () ->
                                capture.events(release).stream()
                                        .map(EventEnvelope::data)
                                        .filter(type::isInstance)
                                        .map(type::cast)
                                        .filter(match)
                                        .findFirst(),
                        java.util.Optional::isPresent)
                .get();
    }

    @Test
    void weightsAreSetTheServedShareIsReportedAReloadKeepsThemAndThePromotionResetsThem() {
        String release = UUID.randomUUID().toString();
        try (LoadLoop load =
                LoadLoop.start(haproxy.frontendUrl() + "/", 4, Duration.ofMinutes(2))) {
            // step 1 is asked before the canary's drain, as deploy-service does
            var step1 =
                    sender.send(
                            new CanaryWeightRequested(
                                    release, "example", List.of("docker0"), 1, 2, 0.05));
            CanaryWeightSet set1 = awaitEvent(release, CanaryWeightSet.class, w -> w.step() == 1);
            assertEquals(Map.of("docker0", 1, "docker1", 19), set1.weights());
            assertEquals(0.05, set1.share(), 1e-9);
            assertEquals(0.05, set1.wantedShare(), 1e-9);
            assertEquals("web", set1.backend());
            assertEquals(1, weight("docker0"));
            assertEquals(19, weight("docker1"));

            // counted from canary.live: 400 sessions of traffic at 5 %
            sender.send(step1, new CanaryLive(release, "example", List.of("docker0"), DIGEST));
            long from = sessions();
            Awaitility.await().atMost(EVENT).until(() -> sessions() >= from + 400);
            sender.send(
                    new CanaryWeightRequested(release, "example", List.of("docker0"), 2, 2, 0.25));
            CanaryShareServed served1 =
                    awaitEvent(release, CanaryShareServed.class, s -> s.step() == 1);
            assertEquals(List.of(), served1.problems());
            assertTrue(served1.sessions() >= 400, served1.toString());
            // roundrobin of weights 1 and 19 gives the canary one session in 20; the step's
            // start and end reads cut that cycle at most once each: ±2 sessions of the canary
            assertEquals(
                    0.05,
                    served1.servedShare(),
                    2.0 / served1.sessions() + 0.005,
                    served1.toString());
            assertEquals(0.05, served1.wantedShare(), 1e-9);
            CanaryWeightSet set2 = awaitEvent(release, CanaryWeightSet.class, w -> w.step() == 2);
            assertEquals(Map.of("docker0", 1, "docker1", 3), set2.weights());
            assertEquals(3, weight("docker1"));

            // a reload without a saved server-state file forgets the weights: put back
            haproxy.reload();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> weight("docker1") == 3 && weight("docker0") == 1);
            LbDriftCorrected drift =
                    awaitEvent(
                            release,
                            LbDriftCorrected.class,
                            d -> d.server().equals("docker1") && d.wanted().equals("weight 3"));
            assertEquals("weight 1", drift.found());
            // the wanted weights are what lb-service's snapshot stores (its fold of lb.events)
            Awaitility.await()
                    .atMost(EVENT)
                    .until(
                            () ->
                                    wanted.fold()
                                            .weight(new ServerKey("web", "docker1"))
                                            .map(w -> w.weight() == 3)
                                            .orElse(false));

            // the promotion puts the configured weights back; the step's share is reported,
            // and the reload during it named
            sender.send(
                    new ReleasePhaseChanged(
                            release, "example", Phase.PROMOTING, Phase.CANARY_LIVE));
            CanaryWeightSet reset = awaitEvent(release, CanaryWeightSet.class, w -> w.step() == 0);
            assertEquals(Map.of("docker0", 1, "docker1", 1), reset.weights());
            assertNull(reset.wantedShare());
            assertEquals(0.5, reset.share(), 1e-9);
            assertEquals(
                    "the release is PROMOTING: the configured weights are back", reset.reason());
            assertEquals(1, weight("docker0"));
            assertEquals(1, weight("docker1"));
            CanaryShareServed served2 =
                    awaitEvent(release, CanaryShareServed.class, s -> s.step() == 2);
            assertTrue(
                    served2.problems().stream().anyMatch(p -> p.contains("reloaded during")),
                    served2.toString());
            Awaitility.await()
                    .atMost(EVENT)
                    .until(
                            () ->
                                    wanted.fold()
                                            .weight(new ServerKey("web", "docker1"))
                                            .map(w -> w.configured())
                                            .orElse(false));
        }
    }

    @Test
    void anAbortPutsTheConfiguredWeightsBack() {
        String release = UUID.randomUUID().toString();
        sender.send(new CanaryWeightRequested(release, "example", List.of("docker0"), 1, 2, 0.05));
        awaitEvent(release, CanaryWeightSet.class, w -> w.step() == 1);
        assertEquals(19, weight("docker1"));

        sender.send(new ReleasePhaseChanged(release, "example", Phase.ABORTED, Phase.CANARY_LIVE));

        CanaryWeightSet reset = awaitEvent(release, CanaryWeightSet.class, w -> w.step() == 0);
        assertEquals("the release is ABORTED: the configured weights are back", reset.reason());
        assertEquals(1, weight("docker1"));
        assertEquals(1, weight("docker0"));
        // never live: no step was counted
        assertTrue(
                capture.events(release).stream()
                        .noneMatch(e -> e.type() == EventType.CANARY_SHARE_SERVED));
    }
}
