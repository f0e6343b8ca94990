package dev.canaryrelease.events.model;

/** deploy-service: take this host out of the pool so its container can be swapped. */
public record HostUpdateRequested(
        String releaseId, String app, String host, Stage stage, String digest)
        implements CanaryEvent, OnHost {}
