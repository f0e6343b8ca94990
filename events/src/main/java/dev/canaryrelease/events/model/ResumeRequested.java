package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked to resume a paused promotion (its next batch starts); {@code operator}
 * and {@code reason} are the audit trail.
 *
 * @param app the release's app: the record's Kafka key, so the command goes down the partition of
 *     the app's other events and the instance that owns the app takes it (issue 19); null in events
 *     written before, which are keyed by their release id
 */
public record ResumeRequested(String releaseId, String app, String operator, String reason)
        implements CanaryEvent, OfApp, WithReason {

    /** Without the app (keyed by its release id): events of before, and tests. */
    public ResumeRequested(String releaseId, String operator, String reason) {
        this(releaseId, null, operator, reason);
    }
}
