package dev.canaryrelease.events.model;

/** build-service: the build of a release started. */
public record BuildStarted(String releaseId, String app, String commitSha, String logLocation)
        implements CanaryEvent, OfApp {}
