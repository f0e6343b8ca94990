package dev.canaryrelease.events.model;

/** deploy-service: the release ended {@code Failed}. */
public record ReleaseFailed(String releaseId, String app, String digest, String reason)
        implements CanaryEvent, OfApp, WithReason {}
