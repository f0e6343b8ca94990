package dev.canaryrelease.deploy.domain;

/**
 * What a swap or restore gave: the digest running now and the one before, or why it failed (with
 * the tail of the failed container's log).
 */
public record SwapResult(
        boolean ok, String digest, String previousDigest, String reason, String logTail) {

    public static SwapResult updated(String digest, String previous) {
        return new SwapResult(true, digest, previous, null, null);
    }

    public static SwapResult failed(String reason, String logTail, String previous) {
        return new SwapResult(false, null, previous, reason, logTail == null ? "" : logTail);
    }

    /** This result with the log tail the executor read (a success keeps none). */
    public SwapResult withLogs(String logs) {
        return ok ? this : failed(reason, logs, previousDigest);
    }
}
