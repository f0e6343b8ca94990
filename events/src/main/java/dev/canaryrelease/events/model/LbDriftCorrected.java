package dev.canaryrelease.events.model;

/** lb-service: a server's admin state differed from the wanted one and was put back. */
public record LbDriftCorrected(
        String releaseId,
        String loadBalancer,
        String backend,
        String server,
        String wanted,
        String found)
        implements CanaryEvent {}
