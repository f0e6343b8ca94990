package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a rollback; {@code operator} and {@code reason} are the audit
 * trail.
 */
public record RollbackRequested(String releaseId, String operator, String reason)
        implements CanaryEvent, WithReason {}
