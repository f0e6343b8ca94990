package dev.canaryrelease.events.model;

/** dns-service: a change was refused or could not be verified; nothing was half-applied. */
public record DnsUpdateFailed(
        String releaseId, String name, String type, String value, String reason)
        implements CanaryEvent, WithReason {}
