package dev.canaryrelease.events.model;

/** deploy-service: the swap failed and the host runs its previous container again. */
public record HostUpdateFailed(
        String releaseId,
        String app,
        String host,
        Stage stage,
        String digest,
        String previousDigest,
        String reason,
        String logTail)
        implements CanaryEvent, OnHost, WithReason {}
