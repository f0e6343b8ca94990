package dev.canaryrelease.events.release;

import java.util.EnumSet;
import java.util.Set;

/**
 * The phase of a release: DESIGN's state machine, owned by deploy-service (its {@code
 * ReleaseMachine} moves it and announces each move with {@code release.phase-changed}); the
 * gateway, {@code canaryctl} and monitors only read it. One enum for the whole suite.
 */
public enum Phase {
    PENDING,
    BUILDING,
    BUILT,
    CANARY_UPDATING,
    CANARY_LIVE,
    PROMOTING,
    /**
     * A promotion an operator paused: the batch in flight finishes, the next one waits for a resume
     * (back to PROMOTING). Holds the app's rollout slot as PROMOTING does.
     */
    PAUSED,
    PROMOTED,
    FAILED,
    ROLLING_BACK,
    ROLLED_BACK,
    ABORTED,
    SUPERSEDED;

    /** Phases no later event leaves. */
    public static final Set<Phase> FINAL = EnumSet.of(FAILED, ROLLED_BACK, ABORTED, SUPERSEDED);

    /** Before any host was touched: the image is being built or waits for its turn. */
    public boolean beforeRollout() {
        return this == PENDING || this == BUILDING || this == BUILT;
    }

    /** The canary stage: a newer image supersedes it. */
    public boolean canary() {
        return this == CANARY_UPDATING || this == CANARY_LIVE;
    }

    /** No operator command can move it any more (PROMOTED still accepts a rollback). */
    public boolean ended() {
        return FINAL.contains(this);
    }
}
