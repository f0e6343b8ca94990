package dev.canaryrelease.events.model;

/** build-service: the build failed; {@code reason} says what a person can do about it. */
public record BuildFailed(
        String releaseId, String app, String reason, long durationMs, String logLocation)
        implements CanaryEvent, OfApp, WithReason {}
