package dev.canaryrelease.lb.domain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.canaryrelease.events.analysis.LatencyHistogram;
import dev.canaryrelease.events.analysis.ServerWindow;

/**
 * Builds one analysis window from two reads of HAProxy's counters and the log lines of the window.
 * Pure. Each server's deltas are summed over the fleet's instances (one pool). A counter that went
 * back, or a read from another process of an instance (a reload or restart starts its counters from
 * 0), cannot give a delta: the window says so in its problems instead of showing the server as
 * quiet.
 */
public final class AnalysisWindows {
    private AnalysisWindows() {}

    /** The servers of one window and what could not be read. */
    public record Window(List<ServerWindow> servers, List<String> problems) {}

    /**
     * @param backend the app's backend
     * @param canaryHosts the servers that run the canary (a server is named after its host)
     * @param before the counters at the window's start, per instance
     * @param after the counters at its end, per instance
     * @param latency per server, the {@code %Tr} times of the window's log lines
     * @param readProblems instances that could not be read, log lines lost or unreadable
     */
    public static Window build(
            String backend,
            Set<String> canaryHosts,
            List<ServerCounters> before,
            List<ServerCounters> after,
            Map<String, LatencyHistogram> latency,
            List<String> readProblems) {
        List<String> problems = new ArrayList<>(readProblems);
        Map<String, ServerCounters> start = new LinkedHashMap<>();
        for (ServerCounters c : before) {
            if (c.key().backend().equals(backend)) {
                start.put(c.instance() + "/" + c.key().server(), c);
            }
        }
        Map<String, long[]> sums = new LinkedHashMap<>();
        Map<String, String> status = new LinkedHashMap<>();
        for (ServerCounters c : after) {
            if (!c.key().backend().equals(backend)) {
                continue;
            }
            String server = c.key().server();
            long[] sum = sums.computeIfAbsent(server, k -> new long[5]);
            // the worst status wins: DOWN in one instance is DOWN
            status.merge(server, c.status(), AnalysisWindows::worse);
            ServerCounters s = start.get(c.instance() + "/" + server);
            if (s == null) {
                problems.add(
                        c.instance() + ": " + c.key() + " has no reading at the window's start");
                continue;
            }
            if (s.pid() != c.pid()) {
                problems.add(
                        c.instance()
                                + ": HAProxy was reloaded during the window (pid "
                                + s.pid()
                                + " → "
                                + c.pid()
                                + "), its counters started again");
                continue;
            }
            long[] d = {
                c.requests() - s.requests(),
                c.http5xx() - s.http5xx(),
                c.connectionErrors() - s.connectionErrors(),
                c.responseErrors() - s.responseErrors(),
                c.retries() - s.retries()
            };
            if (d[0] < 0 || d[1] < 0 || d[2] < 0 || d[3] < 0 || d[4] < 0) {
                problems.add(c.instance() + ": the counters of " + c.key() + " went back");
                continue;
            }
            for (int i = 0; i < 5; i++) sum[i] += d[i];
        }
        List<ServerWindow> servers = new ArrayList<>();
        sums.forEach(
                (server, d) ->
                        servers.add(
                                new ServerWindow(
                                        server,
                                        server,
                                        canaryHosts.contains(server),
                                        status.get(server),
                                        d[0],
                                        d[1],
                                        d[2],
                                        d[3],
                                        latency.getOrDefault(server, LatencyHistogram.EMPTY),
                                        d[4])));
        return new Window(List.copyOf(servers), List.copyOf(problems));
    }

    private static String worse(String a, String b) {
        return rank(b) > rank(a) ? b : a;
    }

    private static int rank(String status) {
        if (status == null) return 0;
        if (status.startsWith("DOWN")) return 3;
        if (status.startsWith("MAINT") || status.startsWith("DRAIN")) return 2;
        return status.startsWith("UP") ? 1 : 0;
    }
}
