package dev.canaryrelease.events.model;

import dev.canaryrelease.events.analysis.Verdict;

/**
 * deploy-service: the judgement of one {@code analysis.window} ({@code window} is its index) by
 * {@code CanaryJudge} with the app's thresholds: the outcome, the sentence that says why and the
 * numbers that decided it, with the release's failed windows so far against the fleet's {@code
 * failureLimit}.
 */
public record AnalysisVerdict(
        String releaseId,
        String app,
        int window,
        Verdict.Outcome outcome,
        String reason,
        Verdict.Numbers numbers,
        int failures,
        int failureLimit)
        implements CanaryEvent, OfApp, WithReason {}
