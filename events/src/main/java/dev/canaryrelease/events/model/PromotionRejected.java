package dev.canaryrelease.events.model;

/**
 * deploy-service: a command could not be taken in the release's current state.
 *
 * @param app the release's app (the record's Kafka key); null when the release is unknown and in
 *     events written before issue 19, which are keyed by their release id
 */
public record PromotionRejected(String releaseId, String app, String reason, String state)
        implements CanaryEvent, OfApp, WithReason {

    /** Without the app (keyed by its release id): events of before, and tests. */
    public PromotionRejected(String releaseId, String reason, String state) {
        this(releaseId, null, reason, state);
    }
}
