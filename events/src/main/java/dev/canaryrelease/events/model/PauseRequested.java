package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked to pause a promotion between batches (the batch in flight finishes, no
 * next batch starts until a resume); {@code operator} and {@code reason} are the audit trail.
 */
public record PauseRequested(String releaseId, String operator, String reason)
        implements CanaryEvent, WithReason {}
