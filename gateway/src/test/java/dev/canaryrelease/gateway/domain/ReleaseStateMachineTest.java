package dev.canaryrelease.gateway.domain;

import static dev.canaryrelease.gateway.domain.ReleaseState.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.model.*;

class ReleaseStateMachineTest {
    static final String R = "r1";
    static final String D = "sha256:" + "aa".repeat(32);

    static ReleaseState fold(CanaryEvent... events) {
        ReleaseState s = null;
        for (CanaryEvent e : events) s = ReleaseStateMachine.next(s, e);
        return s;
    }

    static BuildRequested requested() {
        return new BuildRequested(R, "example", "o/r", "u", "refs/heads/main", "c", "p", "d");
    }

    @Test
    void happyPath() {
        assertEquals(PENDING, fold(requested()));
        assertEquals(BUILDING, fold(requested(), new BuildStarted(R, "example", "c", null)));
        assertEquals(
                BUILT,
                fold(
                        requested(),
                        new BuildStarted(R, "example", "c", null),
                        new BuildSucceeded(R, "example", "i", "t", D, 1, null),
                        new ImagePushed(R, "example", "i", "t", D)));
        assertEquals(
                CANARY_UPDATING,
                fold(
                        requested(),
                        new HostUpdateRequested(R, "example", "docker0", Stage.CANARY, D),
                        new HostDrained(R, "example", "docker0", Stage.CANARY, 0, 1, false)));
        assertEquals(
                CANARY_LIVE,
                fold(
                        requested(),
                        new CanaryLive(R, "example", List.of("docker0"), D),
                        new PromotionRequested(R, "alice", null)));
        assertEquals(
                PROMOTING,
                fold(
                        new CanaryLive(R, "example", List.of("docker0"), D),
                        new HostUpdateRequested(R, "example", "docker1", Stage.PROMOTION, D)));
        assertEquals(
                PROMOTED,
                fold(
                        new ReleasePromoted(R, "example", D, null),
                        new HostEnabled(R, "example", "docker1", Stage.PROMOTION)));
    }

    @Test
    void failuresAndEndings() {
        assertEquals(FAILED, fold(requested(), new BuildFailed(R, "example", "x", 1, null)));
        assertEquals(
                FAILED,
                fold(
                        new CanaryLive(R, "example", List.of(), D),
                        new ReleaseFailed(R, "example", D, "x"),
                        new CanaryLive(R, "example", List.of(), D)));
        assertEquals(
                ABORTED,
                fold(
                        new CanaryLive(R, "example", List.of(), D),
                        new HostUpdateRequested(R, "example", "docker0", Stage.ROLLBACK, D),
                        new ReleaseAborted(R, "example", D, "x")));
        assertEquals(
                SUPERSEDED,
                fold(
                        new CanaryLive(R, "example", List.of(), D),
                        new ReleaseSuperseded(R, "example", D, "x", "r2")));
        assertEquals(
                ROLLING_BACK,
                fold(
                        new ReleasePromoted(R, "example", D, null),
                        new HostUpdateRequested(R, "example", "docker0", Stage.ROLLBACK, D)));
        assertEquals(
                ROLLED_BACK,
                fold(
                        new ReleasePromoted(R, "example", D, null),
                        new RollbackRequested(R, "alice", null),
                        new ReleaseRolledBack(R, "example", D, null)));
        assertEquals(
                PROMOTED,
                fold(
                        new ReleasePromoted(R, "example", D, null),
                        new HostUpdateRequested(R, "example", "docker0", Stage.PROMOTION, D)));
        // a late build event does not move a live canary back
        assertEquals(
                CANARY_LIVE,
                fold(
                        new CanaryLive(R, "example", List.of(), D),
                        new BuildSucceeded(R, "example", "i", "t", D, 1, null)));
        assertEquals(
                CANARY_LIVE,
                fold(
                        new CanaryLive(R, "example", List.of(), D),
                        new PromotionRejected(R, "not live", "CANARY_LIVE")));
    }
}
