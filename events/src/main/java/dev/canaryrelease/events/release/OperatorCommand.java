package dev.canaryrelease.events.release;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The operators' commands and the one rule table of where each is taken. deploy-service refuses a
 * command by it ({@code promotion.rejected} with {@link #refusal}), and the gateway answers 409 by
 * the same table before it publishes, so the two never disagree.
 */
public enum OperatorCommand {
    PROMOTE(
            "promote",
            EnumSet.of(Phase.CANARY_LIVE),
            "promotion is only possible from CANARY_LIVE"),
    /**
     * Skip the remaining steps and the bake time: from a live canary, or during a promotion (the
     * batches not yet done become one).
     */
    FULL_PROMOTE(
            "full-promote",
            EnumSet.of(Phase.CANARY_LIVE, Phase.PROMOTING),
            "a full promotion is only possible from CANARY_LIVE or PROMOTING"),
    ABORT(
            "abort",
            EnumSet.of(
                    Phase.PENDING,
                    Phase.BUILDING,
                    Phase.BUILT,
                    Phase.CANARY_UPDATING,
                    Phase.CANARY_LIVE,
                    Phase.PROMOTING,
                    Phase.PAUSED),
            "abort is only possible before promotion ends (PENDING..PROMOTING, PAUSED)"),
    ROLLBACK("rollback", EnumSet.of(Phase.PROMOTED), "rollback is only possible from PROMOTED"),
    /**
     * Hold a promotion between batches: the batch in flight finishes, the next one starts only
     * after a resume.
     */
    PAUSE("pause", EnumSet.of(Phase.PROMOTING), "pause is only possible during a promotion"),
    /** Go on with a paused promotion: its next batch starts. */
    RESUME("resume", EnumSet.of(Phase.PAUSED), "resume is only possible from PAUSED"),
    /**
     * Start a failed release's image again, as a new release ({@code deploy.requested} with {@code
     * retryOf}): the failed one stays as it ended.
     */
    RETRY("retry", EnumSet.of(Phase.FAILED), "retry is only possible from FAILED");

    private final String verb;
    private final Set<Phase> allowedIn;
    private final String refusal;

    OperatorCommand(String verb, Set<Phase> allowedIn, String refusal) {
        this.verb = verb;
        this.allowedIn = Collections.unmodifiableSet(allowedIn);
        this.refusal = refusal;
    }

    /**
     * The verb as the API and {@code canaryctl} name it, e.g. {@code promote} ({@code full-promote}
     * is {@code POST /releases/{id}/promote} with {@code {"full": true}}, {@code promote --full}).
     */
    public String verb() {
        return verb;
    }

    /** The phases in which the command is taken. */
    public Set<Phase> allowedIn() {
        return allowedIn;
    }

    /** The sentence that says why the command is not taken (outside {@link #allowedIn}). */
    public String whyNot() {
        return refusal;
    }

    /** Null when the command is taken in {@code phase}, else the sentence that says why not. */
    public String refusal(Phase phase) {
        return allowedIn.contains(phase) ? null : refusal;
    }
}
