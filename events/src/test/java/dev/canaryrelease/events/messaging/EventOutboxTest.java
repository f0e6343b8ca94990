package dev.canaryrelease.events.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.Stage;

/**
 * The outbox's contract with a sink that stands for the broker (here an in-memory one that can be
 * "down": the real broker outage is the e2e {@code CanaryReleaseIT} scenario).
 */
class EventOutboxTest {
    static final Duration PAUSE = Duration.ofMillis(20);

    /** A broker that refuses every send while {@code down}, and keeps what it acknowledged. */
    static final class Broker {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicInteger refused = new AtomicInteger();
        final List<String> acknowledged = new ArrayList<>();

        synchronized CompletionStage<Void> send(EventEnvelope<?> e) {
            if (down.get()) {
                refused.incrementAndGet();
                return CompletableFuture.failedFuture(
                        new org.apache.kafka.common.errors.TimeoutException(
                                "Expiring 1 record(s) for deploy.events-0"));
            }
            acknowledged.add(e.id());
            return CompletableFuture.completedFuture(null);
        }

        synchronized List<String> acknowledged() {
            return List.copyOf(acknowledged);
        }
    }

    static HostDrained drained(String host) {
        return new HostDrained("r-1", "web", host, Stage.CANARY, 0, 5, false);
    }

    EventOutbox outbox(Broker b) {
        return new EventOutbox(
                "/canary/deploy-service",
                b::send,
                "test-outbox",
                PAUSE,
                PAUSE.multipliedBy(4),
                Duration.ofSeconds(5));
    }

    @Test
    void whileTheBrokerIsDownPublishingReturnsAtOnceAndEveryEventGoesOutInOrderOnceItIsBack()
            throws Exception {
        Broker broker = new Broker();
        broker.down.set(true);
        try (EventOutbox outbox = outbox(broker)) {
            EventEnvelope<?> cause = EventEnvelope.of("/canary/lb-service", drained("docker0"));
            List<String> ids = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                EventEnvelope<HostDrained> e = outbox.publish(cause, drained("docker" + i));
                assertEquals(cause.id(), e.causationId(), "the event is caused by its cause");
                assertEquals("/canary/deploy-service", e.source());
                ids.add(e.id());
            }
            long tookMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(tookMs < 1000, "50 publishes took " + tookMs + " ms with the broker down");
            org.awaitility.Awaitility.await("the outbox tries again while the broker is down")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> broker.refused.get() >= 100);
            assertEquals(50, outbox.pending(), "nothing is dropped while the broker is down");
            assertTrue(outbox.oldestSince().isPresent());

            broker.down.set(false);
            assertTrue(outbox.awaitEmpty(Duration.ofSeconds(10)), "sent once the broker is back");
            assertEquals(ids, broker.acknowledged(), "each event once, in the order decided");
            assertEquals(0, outbox.pending());
            assertTrue(outbox.oldestSince().isEmpty());
        }
    }

    @Test
    void anEventThatCannotEvenBeHandedToTheProducerIsKeptAndSentLater() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<String> sent = new ArrayList<>();
        try (EventOutbox outbox =
                new EventOutbox(
                        "/canary/deploy-service",
                        e -> {
                            if (calls.incrementAndGet() <= 3) {
                                throw new IllegalStateException(
                                        "SRMSG00034: the emitter is closed");
                            }
                            synchronized (sent) {
                                sent.add(e.id());
                            }
                            return CompletableFuture.completedFuture(null);
                        },
                        "test-outbox",
                        PAUSE,
                        PAUSE,
                        Duration.ofSeconds(5))) {
            EventEnvelope<HostDrained> e = outbox.publish(null, drained("docker1"));
            assertEquals(null, e.causationId(), "without a cause the event starts a chain");
            assertTrue(outbox.awaitEmpty(Duration.ofSeconds(10)));
            assertEquals(List.of(e.id()), sent);
            assertEquals(4, calls.get(), "three refusals, then the send that got through");
        }
    }

    @Test
    void aClosedOutboxRefusesNewEventsAndSaysSo() {
        Broker broker = new Broker();
        EventOutbox outbox = outbox(broker);
        outbox.close();
        IllegalStateException e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalStateException.class,
                        () -> outbox.publish(null, drained("docker1")));
        assertEquals("the outbox is closed", e.getMessage());
    }
}
