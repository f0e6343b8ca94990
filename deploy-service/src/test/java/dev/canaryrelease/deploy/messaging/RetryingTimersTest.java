package dev.canaryrelease.deploy.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetryingTimersTest {
    /** One log line as the engine's logger would write it. */
    record Line(Logger.Level level, String message, Throwable error) {}

    /** A logger that keeps what it was told (the engine's is a JBoss Logging logger). */
    static final class Recording extends Logger {
        final List<Line> lines = new CopyOnWriteArrayList<>();

        Recording() {
            super("timers-test");
        }

        @Override
        protected void doLog(
                Level level, String fqcn, Object message, Object[] params, Throwable t) {
            lines.add(new Line(level, String.valueOf(message), t));
        }

        @Override
        protected void doLogf(
                Level level, String fqcn, String format, Object[] params, Throwable t) {
            lines.add(new Line(level, String.format(format, params), t));
        }

        @Override
        public boolean isEnabled(Level level) {
            return true;
        }
    }

    private final Recording log = new Recording();
    private final RetryingTimers timers =
            new RetryingTimers("timers-test", Duration.ofMillis(20), Duration.ofMillis(80), log);

    @AfterEach
    void stop() {
        timers.shutdownNow();
    }

    @Test
    void aTaskThatFailsOnceIsLoggedAndRunAgain() {
        AtomicInteger runs = new AtomicInteger();
        IllegalStateException boom = new IllegalStateException("broker down");
        timers.at(
                Instant.now(),
                "r-1",
                "autoPromote",
                () -> {
                    if (runs.incrementAndGet() == 1) throw boom;
                });

        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .until(() -> log.lines.stream().anyMatch(l -> l.level() == Logger.Level.INFO));
        assertEquals(2, runs.get());
        Line failure = log.lines.get(0);
        assertEquals(Logger.Level.ERROR, failure.level());
        assertEquals(
                "release r-1: timer task autoPromote failed (attempt 1), trying again in 20 ms",
                failure.message());
        assertSame(boom, failure.error());
        assertEquals(
                "release r-1: timer task autoPromote done at attempt 2",
                log.lines.get(1).message());
    }

    @Test
    void theBackOffDoublesUpToItsCeiling() {
        AtomicInteger runs = new AtomicInteger();
        timers.at(
                Instant.now(),
                "r-2",
                "promotion deadline",
                () -> {
                    if (runs.incrementAndGet() <= 4) throw new IllegalStateException("again");
                });

        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 5);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> log.lines.size() == 5);
        assertEquals(
                List.of(
                        "release r-2: timer task promotion deadline failed (attempt 1), trying"
                                + " again in 20 ms",
                        "release r-2: timer task promotion deadline failed (attempt 2), trying"
                                + " again in 40 ms",
                        "release r-2: timer task promotion deadline failed (attempt 3), trying"
                                + " again in 80 ms",
                        "release r-2: timer task promotion deadline failed (attempt 4), trying"
                                + " again in 80 ms",
                        "release r-2: timer task promotion deadline done at attempt 5"),
                log.lines.stream().map(Line::message).toList());
        assertTrue(log.lines.stream().limit(4).allMatch(l -> l.error() != null));
    }
}
