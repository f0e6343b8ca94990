package dev.canaryrelease.events.model;

/**
 * gateway: an operator asked for a promotion; {@code operator} and {@code reason} are the audit
 * trail.
 */
public record PromotionRequested(String releaseId, String operator, String reason)
        implements CanaryEvent, WithReason {}
