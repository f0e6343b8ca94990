package dev.canaryrelease.events.model;

/** lb-service: the host did not come UP in time and was put back in maint. */
public record HostEnableFailed(
        String releaseId, String app, String host, Stage stage, String reason)
        implements CanaryEvent, OnHost, WithReason {}
