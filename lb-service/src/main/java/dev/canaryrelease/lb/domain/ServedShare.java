package dev.canaryrelease.lb.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The share of a backend's sessions the canary servers served between two reads of {@code show
 * stat}'s {@code stot} (cumulative sessions per server) on every instance. Pure. A read from
 * another process (a reload starts the counters from 0), a counter that went back, or an instance
 * missing from one of the reads gives no delta: it is a problem, never a quiet server.
 */
public final class ServedShare {
    private ServedShare() {}

    /** One instance's {@code stot} of the backend's servers, with its process id. */
    public record Reading(String instance, long pid, Map<String, Long> sessions) {}

    /**
     * Sessions of the canary servers and of every server, and what could not be counted; {@code
     * share} is -1 with no session.
     */
    public record Served(long canary, long all, List<String> problems) {
        public double share() {
            return all == 0 ? -1 : (double) canary / all;
        }
    }

    public static Served between(
            List<Reading> before, List<Reading> after, Set<String> canaryHosts) {
        long canary = 0;
        long all = 0;
        List<String> problems = new ArrayList<>();
        for (Reading end : after) {
            Reading start =
                    before.stream()
                            .filter(r -> r.instance().equals(end.instance()))
                            .findFirst()
                            .orElse(null);
            if (start == null) {
                problems.add(end.instance() + ": no reading at the step's start");
                continue;
            }
            if (start.pid() != end.pid()) {
                problems.add(
                        end.instance()
                                + ": HAProxy was reloaded during the step (pid "
                                + start.pid()
                                + " → "
                                + end.pid()
                                + "), its counters started again");
                continue;
            }
            for (Map.Entry<String, Long> s : end.sessions().entrySet()) {
                Long was = start.sessions().get(s.getKey());
                if (was == null) {
                    problems.add(
                            end.instance() + ": " + s.getKey() + " has no reading at the start");
                    continue;
                }
                long d = s.getValue() - was;
                if (d < 0) {
                    problems.add(end.instance() + ": the sessions of " + s.getKey() + " went back");
                    continue;
                }
                all += d;
                if (canaryHosts.contains(s.getKey())) canary += d;
            }
        }
        for (Reading start : before) {
            if (after.stream().noneMatch(r -> r.instance().equals(start.instance()))) {
                problems.add(start.instance() + ": no reading at the step's end");
            }
        }
        return new Served(canary, all, List.copyOf(problems));
    }
}
