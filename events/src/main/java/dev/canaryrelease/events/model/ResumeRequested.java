package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked to resume a paused promotion (its next batch starts); {@code operator}
 * and {@code reason} are the audit trail.
 */
public record ResumeRequested(String releaseId, String operator, String reason)
        implements CanaryEvent, WithReason {}
