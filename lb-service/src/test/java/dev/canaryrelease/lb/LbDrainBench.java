package dev.canaryrelease.lb;

import static dev.canaryrelease.lb.LbInfraResource.a;
import static dev.canaryrelease.lb.LbInfraResource.b;
import static dev.canaryrelease.lb.LbInfraResource.backend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * Benchmark, not part of the test suite (its name does not end in Test): run it with {@code
 * bench/lb/run.sh}. Prints (1) for an idle server the time from {@code host.update-requested} to
 * {@code host.drained} (CloudEvent times of both events, so Kafka delivery both ways counts) and
 * the time lb-service itself waited, (2) under continuous load through two HAProxy instances, the
 * requests served and dropped during drain → swap → ready cycles.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(LbInfraResource.class)
class LbDrainBench {
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

    @Test
    void bench() throws Exception {
        int idleRuns = Integer.getInteger("bench.idle", 30);
        int loadCycles = Integer.getInteger("bench.cycles", 5);
        {
            // warm-up
            for (int i = 0; i < 5; i++) {
                cycle(sender, capture, "docker1", false);
            }
            List<Long> endToEnd = new ArrayList<>();
            List<Long> waited = new ArrayList<>();
            for (int i = 0; i < idleRuns; i++) {
                long[] r = cycle(sender, capture, "docker1", false);
                endToEnd.add(r[0]);
                waited.add(r[1]);
            }
            Collections.sort(endToEnd);
            Collections.sort(waited);
            System.out.printf(
                    "%nBENCH idle drain, %d runs: host.update-requested -> host.drained p50 %.1f ms,"
                            + " p90 %.1f ms, max %.1f ms; lb-service drain itself p50 %d ms, max %d ms%n",
                    idleRuns,
                    endToEnd.get(idleRuns / 2) / 1000.0,
                    endToEnd.get(idleRuns * 9 / 10) / 1000.0,
                    endToEnd.get(idleRuns - 1) / 1000.0,
                    waited.get(idleRuns / 2),
                    waited.get(idleRuns - 1));

            try (LoadLoop loadA = LoadLoop.start(a.frontendUrl() + "/", 4, Duration.ofMinutes(5));
                    LoadLoop loadB =
                            LoadLoop.start(b.frontendUrl() + "/", 2, Duration.ofMinutes(5))) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> loadA.ok() > 200);
                long okBefore = loadA.ok() + loadB.ok();
                long droppedBefore = loadA.dropped() + loadB.dropped();
                long start = System.nanoTime();
                for (int i = 0; i < loadCycles; i++) {
                    cycle(sender, capture, "docker" + (i % 3), true);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long served = loadA.ok() + loadB.ok() - okBefore;
                long dropped = loadA.dropped() + loadB.dropped() - droppedBefore;
                System.out.printf(
                        "BENCH under load, %d drain/swap/ready cycles in %.1f s: %d requests served"
                                + " (%.0f/s), %d dropped (non-2xx %d, errors %d)%n%n",
                        loadCycles,
                        seconds,
                        served,
                        served / seconds,
                        dropped,
                        loadA.bad() + loadB.bad(),
                        loadA.errors() + loadB.errors());
            }
        }
    }

    /** One drain / (swap) / ready cycle; returns {end-to-end µs, waitedMs}. */
    private long[] cycle(EventSender sender, EventCapture capture, String host, boolean swap) {
        String release = UUID.randomUUID().toString();
        EventEnvelope<HostUpdateRequested> req =
                sender.send(
                        new HostUpdateRequested(release, "example", host, Stage.CANARY, DIGEST));
        EventEnvelope<CanaryEvent> drained = await(capture, req, EventType.HOST_DRAINED);
        if (swap) {
            backend(host).stop();
            backend(host).start();
        }
        EventEnvelope<HostUpdated> up =
                sender.send(
                        drained,
                        new HostUpdated(release, "example", host, Stage.CANARY, DIGEST, null));
        await(capture, up, EventType.HOST_ENABLED);
        long micros = Duration.between(req.time(), drained.time()).toNanos() / 1000;
        return new long[] {micros, ((HostDrained) drained.data()).waitedMs()};
    }

    private static EventEnvelope<CanaryEvent> await(
            EventCapture capture, EventEnvelope<?> cause, EventType type) {
        return capture.await(
                e -> e.type() == type && cause.id().equals(e.causationId()),
                Duration.ofSeconds(30));
    }
}
