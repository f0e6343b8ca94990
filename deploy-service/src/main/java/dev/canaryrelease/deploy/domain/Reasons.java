package dev.canaryrelease.deploy.domain;

import dev.canaryrelease.events.release.OperatorCommand;

/** Every reason string the deploy service writes in events and rejections, in one place. */
public final class Reasons {
    // Rejections: an event that does not fit the release's current state.
    public static final String UNKNOWN_RELEASE = "unknown release";
    public static final String UNKNOWN_APP = "app is not in the fleet";
    public static final String DUPLICATE_RELEASE = "release already exists";
    public static final String NOT_PENDING = "build events are only taken before the rollout";
    public static final String ALREADY_ROLLING_OUT = "the release already has an image rolling out";
    public static final String NOT_CANARY_LIVE = OperatorCommand.PROMOTE.whyNot();
    public static final String NOT_ABORTABLE = OperatorCommand.ABORT.whyNot();
    public static final String NOT_PROMOTED = OperatorCommand.ROLLBACK.whyNot();
    public static final String HOST_NOT_IN_RELEASE = "host is not part of this release";
    public static final String HOST_NOT_DRAINING = "host is not waiting for a drain";
    public static final String HOST_NOT_SWAPPING = "host is not being swapped";
    public static final String HOST_NOT_ENABLING = "host is not waiting to be enabled";
    public static final String NOT_HANDLED = "event type is not handled by the deploy service";
    public static final String ANSWER_ALREADY_CAME =
            "the host no longer waits for lb-service in that step (its answer came)";
    public static final String NOT_ANALYSED = "the app has no analysis block in the fleet";
    public static final String NOT_WATCHED =
            "an analysis window is judged only while the canary is live or the promotion runs";
    public static final String REJECTION_AFTER_ROLLOUT =
            "an image rejection only ends a release before any host was touched";

    // Outcomes.
    public static final String BUILD_FAILED = "build failed";
    public static final String IMAGE_REJECTED = "image rejected by the registry";
    public static final String DRAIN_FAILED = "drain failed on ";
    public static final String UPDATE_FAILED = "update failed on ";
    public static final String ENABLE_FAILED = "enable failed on ";
    public static final String SUPERSEDED = "a newer image of the app replaced the canary";
    public static final String PROMOTED = "every host serves the new image";
    public static final String ROLLED_BACK = "every host serves the previous image again";
    public static final String AUTO_PROMOTE = "autoPromote after bakeTime";
    public static final String ANALYSIS_ABORTED = "aborted by the ";
    public static final String ANALYSIS_PROMOTED = "autoPromote: analysis, window ";
    public static final String ANALYSIS_WAITS = "waiting for an operator: analysis window ";
    public static final String PROMOTION_DEADLINE = "the promotion did not finish within ";
    public static final String ABORTED = "aborted by ";
    public static final String ROLLBACK_REQUESTED = "rollback requested by ";
    public static final String HEALTH_TIMEOUT = "not healthy within ";
    public static final String HEALTH_DEFINITE = "unhealthy (a definite answer): ";
    public static final String PREVIOUS_RESTORED = "previous container restarted";

    /** Followed by the awaited type, the host and the deadline: see {@code answerTimedOut}. */
    public static final String NO_LB_ANSWER = "no answer from lb-service: ";

    private Reasons() {}
}
