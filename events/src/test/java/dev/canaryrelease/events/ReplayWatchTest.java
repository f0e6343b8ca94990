package dev.canaryrelease.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The stall rule of a start-up replay, on a clock the test moves (no sleep). */
class ReplayWatchTest {
    static final long S = 1_000_000_000L;

    @Test
    void aReplayThatKeepsMovingNeverStallsHoweverLongItTakes() {
        ReplayWatch w = new ReplayWatch(Duration.ofSeconds(60), Duration.ofSeconds(5), 0);
        // 10 minutes, one step every 59 s: far over 60 s in total, never 60 s without progress
        for (long t = 0, read = 1; t <= 600 * S; t += 59 * S, read += 1000) {
            w.progress(read, t);
            assertFalse(w.stalled(t + 58 * S), "at " + t / S + " s");
        }
    }

    @Test
    void noProgressForTheTimeoutIsAStallAndProgressEndsIt() {
        ReplayWatch w = new ReplayWatch(Duration.ofSeconds(60), Duration.ofSeconds(5), 0);
        w.progress(500, 10 * S);
        assertFalse(w.stalled(69 * S));
        assertTrue(w.stalled(70 * S));
        assertEquals(60, w.idleSeconds(70 * S));
        // reading the same position again is no progress
        w.progress(500, 71 * S);
        assertTrue(w.stalled(71 * S));
        w.progress(501, 72 * S);
        assertFalse(w.stalled(72 * S));
    }

    @Test
    void aReplayThatNeverReadsAnythingStallsAfterTheTimeoutFromItsStart() {
        ReplayWatch w = new ReplayWatch(Duration.ofSeconds(30), Duration.ofSeconds(5), 100 * S);
        assertFalse(w.stalled(129 * S));
        assertTrue(w.stalled(130 * S));
    }

    @Test
    void aProgressLineIsDueOnceEveryInterval() {
        ReplayWatch w = new ReplayWatch(Duration.ofSeconds(60), Duration.ofSeconds(5), 0);
        assertFalse(w.logDue(4 * S));
        assertTrue(w.logDue(5 * S));
        assertFalse(w.logDue(9 * S));
        assertTrue(w.logDue(10 * S));
        assertEquals(10, w.elapsedSeconds(10 * S));
    }

    @Test
    void aTimeoutOfZeroIsRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new ReplayWatch(Duration.ZERO, Duration.ofSeconds(5), 0));
    }
}
