package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.analysis.LatencyHistogram;
import dev.canaryrelease.events.analysis.ServerWindow;
import dev.canaryrelease.lb.domain.AnalysisWindows;
import dev.canaryrelease.lb.domain.ServerCounters;
import dev.canaryrelease.lb.domain.ServerKey;

/** The window from two reads of the counters, without HAProxy. */
class AnalysisWindowsTest {
    static ServerCounters c(String lb, long pid, String server, String status, long... n) {
        return new ServerCounters(
                lb, pid, new ServerKey("web", server), status, n[0], n[1], n[2], n[3], n[4]);
    }

    @Test
    void deltasAreSummedOverTheInstancesAndTheWorstStatusWins() {
        AnalysisWindows.Window w =
                AnalysisWindows.build(
                        "web",
                        Set.of("docker0"),
                        List.of(
                                c("a", 1, "docker0", "UP", 10, 1, 0, 0, 0),
                                c("b", 2, "docker0", "UP", 5, 0, 0, 0, 0),
                                c("a", 1, "docker1", "UP", 10, 0, 0, 0, 0),
                                new ServerCounters(
                                        "a", 1, new ServerKey("other", "x"), "UP", 0, 0, 0, 0, 0)),
                        List.of(
                                c("a", 1, "docker0", "UP", 110, 6, 1, 2, 3),
                                c("b", 2, "docker0", "DOWN", 55, 0, 0, 0, 1),
                                c("a", 1, "docker1", "UP", 90, 0, 0, 0, 0),
                                new ServerCounters(
                                        "a", 1, new ServerKey("other", "x"), "UP", 9, 9, 9, 9, 9)),
                        Map.of("docker0", LatencyHistogram.of(1, 2)),
                        List.of());
        assertEquals(List.of(), w.problems());
        assertEquals(
                List.of(
                        new ServerWindow(
                                "docker0",
                                "docker0",
                                true,
                                "DOWN",
                                150,
                                5,
                                1,
                                2,
                                LatencyHistogram.of(1, 2),
                                4),
                        new ServerWindow(
                                "docker1",
                                "docker1",
                                false,
                                "UP",
                                80,
                                0,
                                0,
                                0,
                                LatencyHistogram.EMPTY,
                                0)),
                w.servers());
    }

    @Test
    void aCounterThatWentBackOrAServerWithoutAStartIsAProblemNotAQuietServer() {
        AnalysisWindows.Window w =
                AnalysisWindows.build(
                        "web",
                        Set.of("docker0"),
                        List.of(c("a", 1, "docker0", "UP", 100, 5, 0, 0, 0)),
                        List.of(
                                c("a", 1, "docker0", "UP", 20, 0, 0, 0, 0),
                                c("a", 1, "docker2", "UP", 20, 0, 0, 0, 0)),
                        Map.of(),
                        List.of("b: unreachable"));
        assertEquals(
                List.of(
                        "b: unreachable",
                        "a: the counters of web/docker0 went back",
                        "a: web/docker2 has no reading at the window's start"),
                w.problems());
    }
}
