package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a promotion; {@code operator} and {@code reason} are the audit
 * trail.
 *
 * @param app the release's app: the record's Kafka key, so the command goes down the partition of
 *     the app's other events and the instance that owns the app takes it (issue 19); null in events
 *     written before, which are keyed by their release id
 * @param full skip the remaining promotion steps (and the bake time): every production host not yet
 *     done is one last batch, still at most {@code maxUnavailable} hosts out of the pool at once;
 *     false in events written before full promotions existed
 */
public record PromotionRequested(
        String releaseId, String app, String operator, String reason, boolean full)
        implements CanaryEvent, OfApp, WithReason {

    /** A promotion that follows the fleet's steps. */
    public PromotionRequested(String releaseId, String app, String operator, String reason) {
        this(releaseId, app, operator, reason, false);
    }

    /** Without the app (keyed by its release id): events of before, and tests. */
    public PromotionRequested(String releaseId, String operator, String reason, boolean full) {
        this(releaseId, null, operator, reason, full);
    }

    /** Without the app, following the fleet's steps: events of before, and tests. */
    public PromotionRequested(String releaseId, String operator, String reason) {
        this(releaseId, null, operator, reason, false);
    }
}
