package dev.canaryrelease.lb.domain;

import java.time.Instant;

/**
 * The weight a server should have, as this service decided it ({@code canary.weight-set}): a weight
 * from 0 to 256, or {@link #CONFIGURED} (the weight of HAProxy's configuration, put back when a
 * weighted canary ends), when it was decided and for which release. The reconciler puts it back
 * after a reload that lost it.
 */
public record WantedWeight(int weight, Instant at, String releaseId) {
    /** The server's configured weight ({@code srv_iweight}). */
    public static final int CONFIGURED = -1;

    public boolean configured() {
        return weight == CONFIGURED;
    }

    /** The weight wanted on a server whose configured weight is {@code initial}. */
    public int on(int initial) {
        return configured() ? initial : weight;
    }

    /** How it reads in a log line or {@code lb.drift-corrected}. */
    public String describe() {
        return configured() ? "the configured weight" : "weight " + weight;
    }
}
