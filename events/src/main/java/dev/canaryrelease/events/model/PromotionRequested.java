package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a promotion; {@code operator} and {@code reason} are the audit
 * trail.
 *
 * @param full skip the remaining promotion steps (and the bake time): every production host not yet
 *     done is one last batch, still at most {@code maxUnavailable} hosts out of the pool at once;
 *     false in events written before full promotions existed
 */
public record PromotionRequested(String releaseId, String operator, String reason, boolean full)
        implements CanaryEvent, WithReason {

    /** A promotion that follows the fleet's steps. */
    public PromotionRequested(String releaseId, String operator, String reason) {
        this(releaseId, operator, reason, false);
    }
}
