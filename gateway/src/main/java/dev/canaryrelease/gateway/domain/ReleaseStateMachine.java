package dev.canaryrelease.gateway.domain;

import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.events.model.ReleaseFailed;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.ReleaseRolledBack;
import dev.canaryrelease.events.model.ReleaseSuperseded;

/**
 * The pure step function {@code (state, event) → state} the read model folds over a release's
 * events in time order. The mapping is documented in {@code gateway/README.md}.
 */
public final class ReleaseStateMachine {
    private ReleaseStateMachine() {}

    /**
     * The state after {@code event}; {@code current} is null before the first event of a release.
     */
    public static ReleaseState next(ReleaseState current, CanaryEvent event) {
        ReleaseState s = current == null ? ReleaseState.PENDING : current;
        if (s.isFinal()) {
            return s;
        }
        if (s == ReleaseState.PROMOTED) {
            // A promoted release only moves when it is rolled back.
            if (event instanceof HostUpdateRequested r
                    && r.stage() == dev.canaryrelease.events.model.Stage.ROLLBACK) {
                return ReleaseState.ROLLING_BACK;
            }
            if (event instanceof ReleaseRolledBack) {
                return ReleaseState.ROLLED_BACK;
            }
            return s;
        }
        if (event instanceof BuildStarted) {
            return s == ReleaseState.PENDING ? ReleaseState.BUILDING : s;
        }
        if (event instanceof BuildSucceeded || event instanceof ImagePushed) {
            return before(s, ReleaseState.BUILT) ? ReleaseState.BUILT : s;
        }
        if (event instanceof BuildFailed) {
            return ReleaseState.FAILED;
        }
        if (event instanceof HostUpdateRequested e) {
            switch (e.stage()) {
                case CANARY:
                    return before(s, ReleaseState.CANARY_UPDATING)
                            ? ReleaseState.CANARY_UPDATING
                            : s;
                case PROMOTION:
                    return s == ReleaseState.ROLLING_BACK ? s : ReleaseState.PROMOTING;
                default:
                    return ReleaseState.ROLLING_BACK;
            }
        }
        if (event instanceof CanaryLive) {
            return before(s, ReleaseState.CANARY_LIVE) ? ReleaseState.CANARY_LIVE : s;
        }
        if (event instanceof ReleasePromoted) {
            return ReleaseState.PROMOTED;
        }
        if (event instanceof ReleaseFailed) {
            return ReleaseState.FAILED;
        }
        if (event instanceof ReleaseRolledBack) {
            return ReleaseState.ROLLED_BACK;
        }
        if (event instanceof ReleaseSuperseded) {
            return ReleaseState.SUPERSEDED;
        }
        if (event instanceof ReleaseAborted) {
            return ReleaseState.ABORTED;
        }
        // build.requested, host steps, operator requests, rejections, DNS: no state change
        return s;
    }

    /** True when {@code s} comes before {@code target} on the happy path. */
    private static boolean before(ReleaseState s, ReleaseState target) {
        return s.ordinal() < target.ordinal() && s.ordinal() <= ReleaseState.PROMOTED.ordinal();
    }
}
