package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.events.analysis.Verdict;
import dev.canaryrelease.events.model.AnalysisVerdict;
import dev.canaryrelease.events.model.CanaryShareServed;
import dev.canaryrelease.events.model.CanaryWeightSet;
import dev.canaryrelease.gateway.domain.Views.TimelineEntry;

/**
 * The canary analysis of one release as people read it ({@code analysis} of {@code GET
 * /releases/{id}}, shown by {@code canaryctl get} and the dashboard): the numbers of the latest
 * judged windows, and for a weighted canary each step's wanted share, the share its weights give
 * and the share the canary actually served. Folded from the release's timeline (its {@code
 * analysis.verdict}, {@code canary.weight-set} and {@code canary.share-served} events). Pure.
 */
public final class AnalysisView {
    /** How many of the latest windows are shown. */
    public static final int LATEST_WINDOWS = 5;

    private AnalysisView() {}

    /**
     * {@code windows}: the latest judged windows, oldest first; {@code steps}: the weighted steps,
     * in order (empty for an unweighted canary). Null for a release without any.
     */
    public record Analysis(int judged, List<Window> windows, List<Step> steps) {}

    /**
     * One judged window: its verdict, the reason with the numbers, the failed windows so far, both
     * sides' requests, error rates (fractions), p50 and p95 (ms, -1 without samples); for a
     * weighted step its number, the wanted share and the share the canary served in the window (its
     * requests over both sides'; null without requests).
     */
    public record Window(
            int window,
            Instant time,
            Verdict.Outcome outcome,
            String reason,
            int failures,
            int failureLimit,
            long canaryRequests,
            double canaryErrorRate,
            long canaryP50Ms,
            long canaryP95Ms,
            long baselineRequests,
            double baselineErrorRate,
            long baselineP50Ms,
            long baselineP95Ms,
            int weightStep,
            Double wantedShare,
            Double servedShare) {}

    /**
     * One weighted step: the share deploy-service asked for, the share lb-service's integer weights
     * give, the share served over the step once it ended (null while it runs, -1 with no traffic)
     * with its sessions, and when it began and ended.
     */
    public record Step(
            int step,
            Double wantedShare,
            double weightShare,
            Map<String, Integer> weights,
            Double servedShare,
            long canarySessions,
            long sessions,
            Instant start,
            Instant end) {}

    public static Analysis of(List<TimelineEntry> timeline) {
        List<Window> windows = new ArrayList<>();
        Map<Integer, Step> steps = new LinkedHashMap<>();
        for (TimelineEntry e : timeline) {
            if (e.data() instanceof AnalysisVerdict v) {
                windows.add(window(e.time(), v));
            } else if (e.data() instanceof CanaryWeightSet w && w.step() > 0) {
                steps.put(
                        w.step(),
                        new Step(
                                w.step(),
                                w.wantedShare(),
                                w.share(),
                                w.weights(),
                                null,
                                0,
                                0,
                                e.time(),
                                null));
            } else if (e.data() instanceof CanaryShareServed s) {
                Step before = steps.get(s.step());
                steps.put(
                        s.step(),
                        new Step(
                                s.step(),
                                s.wantedShare(),
                                before == null ? -1 : before.weightShare(),
                                before == null ? Map.of() : before.weights(),
                                s.servedShare(),
                                s.canarySessions(),
                                s.sessions(),
                                s.start(),
                                s.end()));
            }
        }
        if (windows.isEmpty() && steps.isEmpty()) return null;
        int from = Math.max(0, windows.size() - LATEST_WINDOWS);
        return new Analysis(
                windows.size(),
                List.copyOf(windows.subList(from, windows.size())),
                List.copyOf(steps.values()));
    }

    private static Window window(Instant time, AnalysisVerdict v) {
        Verdict.Numbers n = v.numbers();
        long all = n == null ? 0 : n.canaryRequests() + n.baselineRequests();
        return new Window(
                v.window(),
                time,
                v.outcome(),
                v.reason(),
                v.failures(),
                v.failureLimit(),
                n == null ? 0 : n.canaryRequests(),
                n == null ? 0 : n.canaryErrorRate(),
                n == null ? -1 : n.canaryP50Ms(),
                n == null ? -1 : n.canaryP95Ms(),
                n == null ? 0 : n.baselineRequests(),
                n == null ? 0 : n.baselineErrorRate(),
                n == null ? -1 : n.baselineP50Ms(),
                n == null ? -1 : n.baselineP95Ms(),
                v.weightStep(),
                v.wantedShare(),
                v.weightStep() > 0 && all > 0 ? (double) n.canaryRequests() / all : null);
    }
}
