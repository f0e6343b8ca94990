package dev.canaryrelease.events.model;

/**
 * deploy-service: lb-service did not answer a request on a host within its deadline ({@code
 * awaited} is the answer's type, {@code host.drained} or {@code host.enabled}; {@code step} the
 * host's step in the release while it waited). deploy-service compensates as for a failed answer.
 */
public record HostAnswerTimedOut(
        String releaseId,
        String app,
        String host,
        Stage stage,
        String step,
        String awaited,
        String reason)
        implements CanaryEvent, OnHost, WithReason {}
