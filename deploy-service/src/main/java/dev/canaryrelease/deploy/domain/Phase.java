package dev.canaryrelease.deploy.domain;

/** The phase of a release (DESIGN's state machine). */
public enum Phase {
    PENDING,
    BUILDING,
    BUILT,
    CANARY_UPDATING,
    CANARY_LIVE,
    PROMOTING,
    PROMOTED,
    FAILED,
    ROLLING_BACK,
    ROLLED_BACK,
    ABORTED,
    SUPERSEDED;

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
        return this == FAILED || this == ROLLED_BACK || this == ABORTED || this == SUPERSEDED;
    }
}
