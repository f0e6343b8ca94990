package dev.canaryrelease.events;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The rule a start-up replay is judged by: not how long it takes in total (a first start after an
 * upgrade reads the whole history once, which may take minutes) but whether it still moves. Pure:
 * the caller gives the clock ({@link System#nanoTime()}) and how far it has read.
 *
 * <ul>
 *   <li>{@link #progress}: how far the replay has read (records, or the sum of its positions); a
 *       value above the last one is progress and restarts the stall clock.
 *   <li>{@link #stalled}: true once {@code stallTimeout} has passed without progress.
 *   <li>{@link #logDue}: true once every {@code logEvery} (a long replay says how far it is).
 * </ul>
 */
public final class ReplayWatch {
    private final long stallNanos;
    private final long logNanos;
    private final long startedAt;
    private long lastProgressAt;
    private long lastLogAt;
    private long read = Long.MIN_VALUE;

    public ReplayWatch(Duration stallTimeout, Duration logEvery, long now) {
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("a stall timeout must be positive: " + stallTimeout);
        }
        this.stallNanos = stallTimeout.toNanos();
        this.logNanos = logEvery.toNanos();
        this.startedAt = now;
        this.lastProgressAt = now;
        this.lastLogAt = now;
    }

    /** The replay has read up to {@code read} at {@code now}. */
    public synchronized void progress(long read, long now) {
        if (read > this.read) {
            this.read = read;
            lastProgressAt = now;
        }
    }

    /** Whether the replay went {@code stallTimeout} without progress. */
    public synchronized boolean stalled(long now) {
        return now - lastProgressAt >= stallNanos;
    }

    /** Whether a progress line is due (at most one every {@code logEvery}). */
    public synchronized boolean logDue(long now) {
        if (now - lastLogAt >= logNanos) {
            lastLogAt = now;
            return true;
        }
        return false;
    }

    /** Seconds since the last progress. */
    public synchronized long idleSeconds(long now) {
        return TimeUnit.NANOSECONDS.toSeconds(now - lastProgressAt);
    }

    /** Seconds since the replay started. */
    public long elapsedSeconds(long now) {
        return TimeUnit.NANOSECONDS.toSeconds(now - startedAt);
    }
}
