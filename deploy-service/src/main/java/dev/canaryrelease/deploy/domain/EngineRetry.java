package dev.canaryrelease.deploy.domain;

import java.time.Duration;
import java.util.Optional;

/**
 * The rule for a swap or restore that could not reach the host's engine: try again, each attempt
 * picking up what the one before left, at least {@code attempts} times and for {@code engineWait}
 * since the first attempt, pausing {@code firstPause} doubled each time (at most 5 s) in between. A
 * refusal (a failed health check, an untrusted certificate, a host key or login refused) is never
 * tried again: the executor tells the two apart, this rule only counts.
 *
 * @param attempts {@code canary.deploy.swap-attempts}
 * @param firstPause {@code canary.deploy.retry-pause}
 * @param engineWait {@code canary.deploy.engine-wait}
 */
public record EngineRetry(int attempts, Duration firstPause, Duration engineWait) {
    static final long MAX_PAUSE_MS = 5_000;

    /**
     * After {@code attempt} (from 1) did not reach the engine, {@code waited} after the first
     * began: the pause before the next attempt, or empty to give up.
     */
    public Optional<Duration> next(int attempt, Duration waited) {
        if (attempt >= Math.max(1, attempts) && waited.compareTo(engineWait) >= 0) {
            return Optional.empty();
        }
        long pause = firstPause.toMillis();
        for (int i = 1; i < attempt; i++) pause = Math.min(pause * 2, MAX_PAUSE_MS);
        return Optional.of(Duration.ofMillis(pause));
    }

    /** The reason of a swap that gave up: the engine's error and how long it was tried. */
    public static String gaveUp(String error, int attempt, Duration waited) {
        return error
                + " (engine not reached in "
                + attempt
                + " attempts over "
                + waited.toSeconds()
                + " s)";
    }
}
