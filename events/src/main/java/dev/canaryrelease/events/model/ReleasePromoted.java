package dev.canaryrelease.events.model;

/** deploy-service: the release ended {@code Promoted}. */
public record ReleasePromoted(String releaseId, String app, String digest, String reason)
        implements CanaryEvent, OfApp, WithReason {}
