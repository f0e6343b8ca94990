package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.lb.domain.PendingRequests;
import dev.canaryrelease.lb.domain.ServerKey;

class PendingRequestsTest {
    static final ServerKey K = new ServerKey("web", "docker0");
    static final ServerKey OTHER = new ServerKey("web", "docker1");

    @Test
    void aRequestHoldsItsServerUntilItsAnswer() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "req-1");
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
        p.requested(K, "req-1");
        assertFalse(p.held(K));
        p.requested(K, "req-2");
        assertTrue(p.held(K));
    }

    @Test
    void anAnswerAlsoClosesTheUnansweredRequestsBeforeIt() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "dead-lettered");
        p.requested(K, "req-2");
        p.requested(K, "req-3");
        p.answered(K, "req-2");
        assertTrue(p.held(K), "req-3 is still open");
        p.answered(K, "req-3");
        assertFalse(p.held(K));
    }

    @Test
    void anAnswerWithoutCauseChangesNothing() {
        PendingRequests p = new PendingRequests();
        p.requested(K, "req-1");
        p.answered(K, null);
        assertTrue(p.held(K));
    }
}
