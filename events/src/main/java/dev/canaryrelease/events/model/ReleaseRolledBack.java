package dev.canaryrelease.events.model;

/** deploy-service: the release ended {@code RolledBack}. */
public record ReleaseRolledBack(String releaseId, String app, String digest, String reason)
        implements CanaryEvent, OfApp, WithReason {}
