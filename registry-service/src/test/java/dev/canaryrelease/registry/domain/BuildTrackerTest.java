package dev.canaryrelease.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;

class BuildTrackerTest {
    static EventEnvelope<CanaryEvent> succeeded(String release) {
        return EventEnvelope.of(
                "/canary-release/build-service",
                new BuildSucceeded(release, "example", "example-app", "t", "sha256:aa", 1, null));
    }

    @Test
    void aWaitingPushIsWokenByItsBuild() throws Exception {
        BuildTracker t = new BuildTracker();
        CompletableFuture<Optional<EventEnvelope<CanaryEvent>>> f =
                t.await("r1", Duration.ofSeconds(30));
        assertFalse(f.isDone());
        t.succeeded(succeeded("other"));
        assertFalse(f.isDone());
        EventEnvelope<CanaryEvent> e = succeeded("r1");
        t.succeeded(e);
        assertEquals(Optional.of(e), f.get(1, TimeUnit.SECONDS));
    }

    @Test
    void aBuildSeenBeforeThePushAnswersAtOnce() throws Exception {
        BuildTracker t = new BuildTracker();
        EventEnvelope<CanaryEvent> e = succeeded("r2");
        t.succeeded(e);
        assertEquals(Optional.of(e), t.await("r2", Duration.ofMillis(1)).get());
    }

    @Test
    void withoutABuildThePushGoesOnAfterTheWait() throws Exception {
        BuildTracker t = new BuildTracker();
        long start = System.nanoTime();
        assertTrue(t.await("r3", Duration.ofMillis(200)).get(5, TimeUnit.SECONDS).isEmpty());
        assertTrue(System.nanoTime() - start >= 150_000_000L);
    }
}
