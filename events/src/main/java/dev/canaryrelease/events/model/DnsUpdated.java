package dev.canaryrelease.events.model;

/** dns-service: a record was written and verified; an empty value means it was removed. */
public record DnsUpdated(String releaseId, String name, String type, String value)
        implements CanaryEvent {}
