package dev.canaryrelease.events.model;

/** build-service: the image was built and pushed; {@code digest} is the pushed manifest digest. */
public record BuildSucceeded(
        String releaseId,
        String app,
        String image,
        String tag,
        String digest,
        long durationMs,
        String logLocation)
        implements CanaryEvent, OfApp {}
