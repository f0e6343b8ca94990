package dev.canaryrelease.events.model;

/** lb-service: the host is back in the pool and HAProxy's health check reports it UP. */
public record HostEnabled(String releaseId, String app, String host, Stage stage)
        implements CanaryEvent, OnHost {}
