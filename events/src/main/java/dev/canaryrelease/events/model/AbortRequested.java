package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a abort; {@code operator} and {@code reason} are the audit trail.
 */
public record AbortRequested(String releaseId, String operator, String reason)
        implements CanaryEvent, WithReason {}
