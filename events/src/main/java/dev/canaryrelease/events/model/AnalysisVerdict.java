package dev.canaryrelease.events.model;

import dev.canaryrelease.events.analysis.Verdict;

/**
 * deploy-service: the judgement of one {@code analysis.window} ({@code window} is its index) by
 * {@code CanaryJudge} with the app's thresholds: the outcome, the sentence that says why and the
 * numbers that decided it, with the release's failed windows so far against the fleet's {@code
 * failureLimit}. For a weighted canary, {@code weightStep} is the step the window was judged at
 * (1-based; 0: not weighted, or judged in the promotion's watch) and {@code wantedShare} its share
 * of the traffic (null when not weighted).
 */
public record AnalysisVerdict(
        String releaseId,
        String app,
        int window,
        Verdict.Outcome outcome,
        String reason,
        Verdict.Numbers numbers,
        int failures,
        int failureLimit,
        int weightStep,
        Double wantedShare)
        implements CanaryEvent, OfApp, WithReason {
    /** The verdict of an unweighted window. */
    public AnalysisVerdict(
            String releaseId,
            String app,
            int window,
            Verdict.Outcome outcome,
            String reason,
            Verdict.Numbers numbers,
            int failures,
            int failureLimit) {
        this(releaseId, app, window, outcome, reason, numbers, failures, failureLimit, 0, null);
    }
}
