package dev.canaryrelease.events.model;

import java.util.Map;

/**
 * lb-service: the server weights of the app's backend as it set them on every HAProxy instance, by
 * server. {@code step} 1.. is a weighted step of the canary ({@code wantedShare} what
 * deploy-service asked, {@code share} what the integer weights give: HAProxy's weights are whole
 * numbers from 0 to 256); {@code step} 0 puts the configured weights back ({@code wantedShare}
 * null, {@code share} the canary's share by the configured weights), with the {@code reason}.
 * lb-service keeps these weights across HAProxy reloads (its reconciliation and snapshot).
 */
public record CanaryWeightSet(
        String releaseId,
        String app,
        String backend,
        int step,
        Double wantedShare,
        double share,
        Map<String, Integer> weights,
        String reason)
        implements CanaryEvent, OfApp, WithReason {
    public CanaryWeightSet {
        weights = weights == null ? Map.of() : Map.copyOf(weights);
    }
}
