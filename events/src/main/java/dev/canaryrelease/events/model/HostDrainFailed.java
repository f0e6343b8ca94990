package dev.canaryrelease.events.model;

/** lb-service: the host could not be drained; it stays as it was. */
public record HostDrainFailed(String releaseId, String app, String host, Stage stage, String reason)
        implements CanaryEvent, OnHost, WithReason {}
