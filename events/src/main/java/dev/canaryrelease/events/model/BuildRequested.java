package dev.canaryrelease.events.model;

/** gateway: a push to an app's branch asks for a build. */
public record BuildRequested(
        String releaseId,
        String app,
        String repository,
        String cloneUrl,
        String ref,
        String commitSha,
        String pusher,
        String deliveryId)
        implements CanaryEvent, OfApp {}
