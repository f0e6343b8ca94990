package dev.canaryrelease.events.model;

import java.time.Instant;
import java.util.List;

import dev.canaryrelease.events.analysis.ServerWindow;

/**
 * lb-service: HAProxy's numbers of one analysis window of a live canary, no judgement. {@code
 * index} counts the release's windows from 1; {@code servers} has every server of the app's backend
 * (canary and baseline) with its counter deltas and latency histogram; {@code problems} says what
 * could not be read (an HAProxy instance, a counter reset by a reload, dropped log lines), so a
 * window with holes is judged inconclusive instead of looking quiet.
 */
public record AnalysisWindow(
        String releaseId,
        String app,
        int index,
        Instant start,
        Instant end,
        List<ServerWindow> servers,
        List<String> problems)
        implements CanaryEvent, OfApp {
    public AnalysisWindow {
        servers = servers == null ? List.of() : List.copyOf(servers);
        problems = problems == null ? List.of() : List.copyOf(problems);
    }
}
