package dev.canaryrelease.events.model;

/** lb-service: the host is out of every pool (maint) and has no session left. */
public record HostDrained(
        String releaseId,
        String app,
        String host,
        Stage stage,
        int sessionsAtDrain,
        long waitedMs,
        boolean forced)
        implements CanaryEvent, OnHost {}
