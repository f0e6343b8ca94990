package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.lb.domain.PendingRequests;
import dev.canaryrelease.lb.domain.ServerKey;

class PendingRequestsTest {
    static final ServerKey K = new ServerKey("web", "docker0");
    static final ServerKey OTHER = new ServerKey("web", "docker1");
    static final Instant T0 = Instant.parse("2026-12-03T08:00:00Z");

    @Test
    void aRequestHoldsItsServerUntilItsAnswer() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "req-1", T0);
        assertTrue(p.held(K));
        assertFalse(p.held(OTHER));
        p.answered(K, "something-else");
        assertTrue(p.held(K));
        p.answered(K, "req-1");
        assertFalse(p.held(K));
    }

    @Test
    void anAnswerReadBeforeItsRequestClosesIt() {
        // a replay interleaves lb.events and deploy.events in any order
        PendingRequests p = new PendingRequests();
        p.answered(K, "req-1");
        p.requested(K, "req-1", T0);
        assertFalse(p.held(K));
        p.requested(K, "req-2", T0);
        assertTrue(p.held(K));
    }

    @Test
    void anAnswerAlsoClosesTheUnansweredRequestsBeforeIt() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "dead-lettered", T0);
        p.requested(K, "req-2", T0);
        p.requested(K, "req-3", T0);
        p.answered(K, "req-2");
        assertTrue(p.held(K), "req-3 is still open");
        p.answered(K, "req-3");
        assertFalse(p.held(K));
    }

    @Test
    void anAnswerWithoutCauseChangesNothing() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "req-1", T0);
        p.answered(K, null);
        assertTrue(p.held(K));
    }

    @Test
    void aRequestUnansweredForLongerThanTheHoldNoLongerHoldsItsServer() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "lost", T0);
        assertTrue(p.held(K, T0.minus(Duration.ofHours(1))), "within the hold");
        assertTrue(p.held(K, T0), "made exactly at the limit");
        assertFalse(p.held(K, T0.plusSeconds(1)), "older than the hold");
        assertEquals(Map.of("lost", T0), p.overdue(K, T0.plusSeconds(1)));
        assertTrue(p.held(K), "still kept: an answer may still come");
        p.requested(K, "next", T0.plusSeconds(60));
        assertTrue(p.held(K, T0.plusSeconds(1)), "a newer request holds it again");
        p.answered(K, "next");
        assertFalse(p.held(K), "the newer answer closes the lost request too");
    }

    @Test
    void whenARequestWasMadeSurvivesTheSnapshotAndAnOlderSnapshotCountsFromItsRestore() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "lost", T0);
        PendingRequests.Held held = p.of(K);
        assertEquals(Map.of("lost", T0), held.openedAt());
        PendingRequests restored = new PendingRequests();
        restored.restore(K, held, T0.plusSeconds(3600));
        assertFalse(restored.held(K, T0.plusSeconds(1)));

        PendingRequests older = new PendingRequests();
        older.restore(
                K,
                new PendingRequests.Held(List.of("lost"), List.of(), null),
                T0.plusSeconds(3600));
        assertTrue(older.held(K, T0.plusSeconds(1)), "no time kept: counted from the restore");
    }
}
