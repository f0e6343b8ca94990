package dev.canaryrelease.events.analysis;

/**
 * The judgement of one window: its outcome, the sentence that says why, and the numbers that
 * decided it.
 */
public record Verdict(Outcome outcome, String reason, Numbers numbers) {
    public enum Outcome {
        /** The canary is as good as the baseline within the fleet's thresholds. */
        PASS,
        /** The canary is worse than the thresholds allow. */
        FAIL,
        /** The window cannot tell (too little traffic, no data, errors reading): never a pass. */
        INCONCLUSIVE
    }

    /**
     * The canary side's and the baseline side's sums: requests, errors (5xx + connection errors +
     * response errors) and their rate, the latency samples and their p50 and p95 in ms (-1 without
     * samples); the median shift (canary p50 − baseline p50, ms) and the largest shift allowed; the
     * one-sided Mann-Whitney U test of "the canary is slower" (U, z, p; p is 1 when it did not
     * run).
     */
    public record Numbers(
            long canaryRequests,
            long canaryErrors,
            double canaryErrorRate,
            long baselineRequests,
            long baselineErrors,
            double baselineErrorRate,
            long canarySamples,
            long canaryP50Ms,
            long canaryP95Ms,
            long baselineSamples,
            long baselineP50Ms,
            long baselineP95Ms,
            long latencyShiftMs,
            double allowedShiftMs,
            double mannWhitneyU,
            double mannWhitneyZ,
            double mannWhitneyP) {}
}
