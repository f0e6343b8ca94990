package dev.canaryrelease.events.model;

/** deploy-service: a command could not be taken in the release's current state. */
public record PromotionRejected(String releaseId, String reason, String state)
        implements CanaryEvent, WithReason {}
