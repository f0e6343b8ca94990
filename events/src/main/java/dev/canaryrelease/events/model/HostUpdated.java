package dev.canaryrelease.events.model;

/** deploy-service: the host runs {@code digest} and answers its health check. */
public record HostUpdated(
        String releaseId,
        String app,
        String host,
        Stage stage,
        String digest,
        String previousDigest)
        implements CanaryEvent, OnHost {}
