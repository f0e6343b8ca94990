package dev.canaryrelease.gateway.domain;

import java.util.EnumSet;
import java.util.Set;

/**
 * The release states of DESIGN's state machine, as the gateway reads them from the events (the
 * deploy service owns the machine; the gateway mirrors it for people).
 */
public enum ReleaseState {
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

    /** States no later event leaves. */
    public static final Set<ReleaseState> FINAL =
            EnumSet.of(FAILED, ROLLED_BACK, ABORTED, SUPERSEDED);

    /** Where {@code promote} is accepted. */
    public static final Set<ReleaseState> PROMOTABLE = EnumSet.of(CANARY_LIVE);

    /** Where {@code abort} is accepted. */
    public static final Set<ReleaseState> ABORTABLE =
            EnumSet.of(CANARY_LIVE, CANARY_UPDATING, PROMOTING);

    /** Where {@code rollback} is accepted. */
    public static final Set<ReleaseState> ROLLBACKABLE = EnumSet.of(PROMOTED);

    public boolean isFinal() {
        return FINAL.contains(this);
    }
}
