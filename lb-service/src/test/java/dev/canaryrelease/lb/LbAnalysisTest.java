package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbAnalysisResource.backend;
import static dev.canaryrelease.lb.LbAnalysisResource.haproxy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.analysis.ServerWindow;
import dev.canaryrelease.events.model.AnalysisWindow;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * lb-service publishes {@code analysis.window} every {@code analysis.interval} from a release's
 * {@code canary.live} until it leaves the watched phases: HAProxy's counter deltas and the latency
 * of its log lines, canary (docker0) and baseline (docker1), from one real HAProxy under load.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbAnalysisResource.class)
class LbAnalysisTest {
    static final Duration EVENT = Duration.ofSeconds(30);
    static final String DIGEST = "sha256:" + "b".repeat(64);

    static EventSender sender;
    static EventCapture capture;

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

    @AfterEach
    void heal() {
        backend("docker0").errorEvery(0);
        backend("docker0").slow(0);
    }

    static List<AnalysisWindow> windows(String release) {
        return capture.events(release).stream()
                .filter(e -> e.type() == EventType.ANALYSIS_WINDOW)
                .map(e -> (AnalysisWindow) e.data())
                .toList();
    }

    static ServerWindow server(AnalysisWindow w, String host) {
        return w.servers().stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow();
    }

    @Test
    void aLiveCanaryGetsAWindowEveryIntervalWithBothSidesNumbersUntilItsReleaseEnds() {
        String release = UUID.randomUUID().toString();
        try (LoadLoop load =
                LoadLoop.start(haproxy.frontendUrl() + "/", 4, Duration.ofMinutes(1))) {
            EventEnvelope<CanaryLive> live =
                    sender.send(new CanaryLive(release, "example", List.of("docker0"), DIGEST));
            backend("docker0").errorEvery(10);
            AnalysisWindow w =
                    Awaitility.await()
                            .atMost(EVENT)
                            .until(
                                    () ->
                                            windows(release).stream()
                                                    .filter(x -> x.index() >= 2)
                                                    .findFirst(),
                                    java.util.Optional::isPresent)
                            .get();
            EventEnvelope<?> first =
                    capture.await(release, EventType.ANALYSIS_WINDOW, Duration.ofSeconds(1));
            assertEquals(live.id(), first.causationId(), "caused by canary.live");
            assertEquals(List.of(), w.problems());
            assertEquals("example", w.app());
            ServerWindow canary = server(w, "docker0");
            ServerWindow baseline = server(w, "docker1");
            assertTrue(canary.canary());
            assertTrue(!baseline.canary());
            assertTrue(canary.requests() > 0 && baseline.requests() > 0, w.toString());
            assertTrue(canary.latency().count() > 0, "log times of the canary " + w);
            assertTrue(baseline.latency().count() > 0, "log times of the baseline " + w);
            // the canary's 500s are retried on docker1: HAProxy counts them in wretr
            assertTrue(canary.retries() > 0, "the canary's failures " + canary);
            assertEquals(0, baseline.errors(), baseline.toString());
            long gap = Duration.between(w.start(), w.end()).toMillis();
            assertTrue(gap >= 500 && gap <= 3000, "a window of about 1 s: " + gap + " ms");

            // still watched while promoting; not once the release ended
            sender.send(
                    new ReleasePhaseChanged(
                            release, "example", Phase.PROMOTING, Phase.CANARY_LIVE));
            int seen = windows(release).size();
            Awaitility.await().atMost(EVENT).until(() -> windows(release).size() >= seen + 2);
            sender.send(
                    new ReleasePhaseChanged(release, "example", Phase.ABORTED, Phase.PROMOTING));
            // the last window may have been read as the phase changed; none after it
            int after = windows(release).size();
            Awaitility.await()
                    .pollDelay(Duration.ofMillis(100))
                    .during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(6))
                    .until(() -> windows(release).size() <= after + 1);
        }
    }
}
