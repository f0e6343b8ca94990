package dev.canaryrelease.events.model;

import java.time.Instant;
import java.util.List;

/**
 * lb-service: the share of the app's traffic the canary actually served over one weighted step,
 * from {@code show stat}'s {@code stot} (sessions) of every server of the backend, summed over the
 * HAProxy instances, between {@code start} (the step's weights set with the canary live) and {@code
 * end} (the next step's weights, or the configured ones back): {@code canarySessions} of {@code
 * sessions}; {@code servedShare} is -1 with no session at all. {@code wantedShare} is the step's
 * share deploy-service asked for. A counter that went back (a reload) is a problem, never a quiet
 * server.
 */
public record CanaryShareServed(
        String releaseId,
        String app,
        int step,
        double wantedShare,
        double servedShare,
        long canarySessions,
        long sessions,
        Instant start,
        Instant end,
        List<String> problems)
        implements CanaryEvent, OfApp {
    public CanaryShareServed {
        problems = problems == null ? List.of() : List.copyOf(problems);
    }
}
