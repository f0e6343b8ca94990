package dev.canaryrelease.events.model;

/** deploy-service: a newer image of the same app replaced this release's canary. */
public record ReleaseSuperseded(
        String releaseId, String app, String digest, String reason, String supersededBy)
        implements CanaryEvent, OfApp, WithReason {}
