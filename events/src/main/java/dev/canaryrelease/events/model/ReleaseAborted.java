package dev.canaryrelease.events.model;

/** deploy-service: the release ended {@code Aborted}. */
public record ReleaseAborted(String releaseId, String app, String digest, String reason)
        implements CanaryEvent, OfApp, WithReason {}
