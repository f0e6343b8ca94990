package dev.canaryrelease.events.model;

import java.util.List;

/**
 * deploy-service: the canary ({@code hosts}) should serve {@code share} of the app's traffic (a
 * fraction, 0.05 for 5 %): weighted step {@code step} of {@code steps} of the fleet's {@code
 * apps[].analysis.weights}. Asked when the canary starts (before its first drain, so the canary
 * comes back into the pool at its step's weight) and when a passed window moves it to the next
 * step; lb-service sets the HAProxy server weights and answers {@code canary.weight-set}. The
 * weights go back to the configured ones when the release leaves CANARY_LIVE.
 */
public record CanaryWeightRequested(
        String releaseId, String app, List<String> hosts, int step, int steps, double share)
        implements CanaryEvent, OfApp {
    public CanaryWeightRequested {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }
}
