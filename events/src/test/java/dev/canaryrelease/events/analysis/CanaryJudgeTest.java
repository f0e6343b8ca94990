package dev.canaryrelease.events.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.canaryrelease.events.analysis.Verdict.Outcome;
import dev.canaryrelease.fleet.Fleet.Analysis;
import dev.canaryrelease.fleet.Fleet.LatencyIncrease;

/** The judge as a table: each row a window, the verdict it gets and the words that say why. */
class CanaryJudgeTest {
    static final Analysis DEFAULTS = Analysis.DEFAULTS; // 50 requests, 1 %, 100 ms

    /** {@code n} requests spread over 1–4 ms, shifted by {@code plusMs}. */
    static LatencyHistogram times(long n, long plusMs) {
        long q = n / 4;
        return LatencyHistogram.of(
                Map.of(
                        1 + plusMs, q,
                        2 + plusMs, q,
                        3 + plusMs, q,
                        4 + plusMs, n - 3 * q));
    }

    static ServerWindow canary(
            String status, long requests, long x5, long econ, long eresp, long plusMs) {
        return new ServerWindow(
                "docker0",
                "docker0",
                true,
                status,
                requests,
                x5,
                econ,
                eresp,
                times(requests, plusMs));
    }

    static ServerWindow good(String host, long requests) {
        return new ServerWindow(host, host, false, "UP", requests, 0, 0, 0, times(requests, 0));
    }

    static ServerWindow base(String host, long requests, long x5) {
        return new ServerWindow(host, host, false, "UP", requests, x5, 0, 0, times(requests, 0));
    }

    static ServerWindow noLog(ServerWindow s) {
        return new ServerWindow(
                s.host(),
                s.server(),
                s.canary(),
                s.status(),
                s.requests(),
                s.http5xx(),
                s.connectionErrors(),
                s.responseErrors(),
                LatencyHistogram.EMPTY);
    }

    static Analysis relative(double share) {
        return new Analysis(Duration.ofSeconds(10), 50, 0.01, LatencyIncrease.share(share), 2);
    }

    static Arguments row(
            String name,
            List<ServerWindow> servers,
            List<String> problems,
            Analysis a,
            Outcome want,
            String says) {
        return Arguments.of(name, servers, problems, a, want, says);
    }

    static Stream<Arguments> windows() {
        ServerWindow b1 = good("docker1", 200);
        ServerWindow b2 = good("docker2", 200);
        return Stream.of(
                row(
                        "a good canary passes",
                        List.of(canary("UP", 200, 0, 0, 0, 0), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.PASS,
                        "the canary failed 0.00% of 200 requests (baseline 0.00%), median 2 ms against 2 ms"),
                row(
                        "one error in 200 is within 1 %",
                        List.of(canary("UP", 200, 1, 0, 0, 0), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.PASS,
                        "failed 0.50% of 200 requests"),
                row(
                        "10 % 5xx fails with the numbers",
                        List.of(canary("UP", 200, 20, 0, 0, 0), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.FAIL,
                        "the canary failed 20 of 200 requests (10.00%: 20 5xx, 0 connection errors, 0 response errors, 0 retried on another server), above maxErrorRate 1%; the baseline 0.00%"),
                row(
                        "connection and response errors count",
                        List.of(canary("UP", 200, 0, 3, 2, 0), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.FAIL,
                        "(2.50%: 0 5xx, 3 connection errors, 2 response errors, 0 retried on another server)"),
                row(
                        "300 ms slower fails",
                        List.of(canary("UP", 200, 0, 0, 0, 300), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.FAIL,
                        "the canary is slower: median 302 ms against 2 ms (p95 304 against 4 ms), Mann-Whitney p = "),
                row(
                        "50 ms slower is significant but within 100ms",
                        List.of(canary("UP", 200, 0, 0, 0, 50), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.PASS,
                        "median 52 ms against 2 ms"),
                row(
                        "50 ms slower fails a 25 % limit",
                        List.of(canary("UP", 200, 0, 0, 0, 50), b1, b2),
                        List.of(),
                        relative(0.25),
                        Outcome.FAIL,
                        "50 ms more, above maxLatencyIncrease 25% of the baseline's median (0.5 ms)"),
                row(
                        "a faster canary passes",
                        List.of(
                                canary("UP", 200, 0, 0, 0, 0),
                                new ServerWindow(
                                        "docker1",
                                        "docker1",
                                        false,
                                        "UP",
                                        200,
                                        0,
                                        0,
                                        0,
                                        times(200, 400))),
                        List.of(),
                        DEFAULTS,
                        Outcome.PASS,
                        "median 2 ms against 402 ms"),
                row(
                        "no traffic is inconclusive, never a pass",
                        List.of(canary("UP", 0, 0, 0, 0, 0), good("docker1", 0)),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "too little traffic: the canary served 0 and the baseline 0 requests, minRequests is 50"),
                row(
                        "a quiet canary is inconclusive even with errors",
                        List.of(canary("UP", 20, 20, 0, 0, 0), b1),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "the canary served 20 and the baseline 200"),
                row(
                        "a quiet baseline is inconclusive",
                        List.of(canary("UP", 200, 0, 0, 0, 0), good("docker1", 49)),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "the baseline 49 requests"),
                row(
                        "a read error is inconclusive even when all else passes",
                        List.of(canary("UP", 200, 0, 0, 0, 0), b1, b2),
                        List.of("cfgmgr: show stat: connection refused"),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "HAProxy's numbers could not be read: cfgmgr: show stat: connection refused"),
                row(
                        "no data at all is inconclusive",
                        List.of(),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "no canary server in the window"),
                row(
                        "no baseline is inconclusive",
                        List.of(canary("UP", 200, 0, 0, 0, 0)),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "no baseline server to compare the canary with"),
                row(
                        "a canary marked down fails",
                        List.of(canary("DOWN 1/2", 200, 0, 0, 0, 0), b1, b2),
                        List.of(),
                        DEFAULTS,
                        Outcome.FAIL,
                        "HAProxy marks canary docker0 DOWN 1/2"),
                row(
                        "a canary in maint is inconclusive",
                        List.of(canary("MAINT", 0, 0, 0, 0, 0), b1),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "canary docker0 is out of rotation (MAINT)"),
                row(
                        "both sides failing is not the canary's fault",
                        List.of(canary("UP", 200, 20, 0, 0, 0), base("docker1", 200, 10)),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "but the baseline failed 5.00% too, above maxErrorRate 1%: the fault may not be the canary's"),
                row(
                        "no log lines is inconclusive (counters alone cannot pass)",
                        List.of(noLog(canary("UP", 200, 0, 0, 0, 0)), b1),
                        List.of(),
                        DEFAULTS,
                        Outcome.INCONCLUSIVE,
                        "too few latency samples from HAProxy's log: the canary 0 and the baseline 200, minRequests is 50"),
                row(
                        "errors are judged before missing log lines",
                        List.of(noLog(canary("UP", 200, 30, 0, 0, 0)), b1),
                        List.of(),
                        DEFAULTS,
                        Outcome.FAIL,
                        "above maxErrorRate 1%"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("windows")
    void judges(
            String name,
            List<ServerWindow> servers,
            List<String> problems,
            Analysis a,
            Outcome want,
            String says) {
        Verdict v = CanaryJudge.judge(servers, problems, a);
        assertEquals(want, v.outcome(), v.reason());
        assertTrue(v.reason().contains(says), v.reason());
    }

    @Test
    void theVerdictCarriesTheNumbersThatDecidedIt() {
        Verdict v =
                CanaryJudge.judge(
                        List.of(
                                canary("UP", 200, 20, 0, 0, 300),
                                good("docker1", 100),
                                good("docker2", 100)),
                        List.of(),
                        DEFAULTS);
        Verdict.Numbers n = v.numbers();
        assertEquals(200, n.canaryRequests());
        assertEquals(20, n.canaryErrors());
        assertEquals(0.10, n.canaryErrorRate(), 1e-12);
        assertEquals(200, n.baselineRequests());
        assertEquals(0, n.baselineErrors());
        assertEquals(200, n.canarySamples());
        assertEquals(302, n.canaryP50Ms());
        assertEquals(304, n.canaryP95Ms());
        assertEquals(2, n.baselineP50Ms());
        assertEquals(300, n.latencyShiftMs());
        assertEquals(100.0, n.allowedShiftMs());
        assertEquals(40000.0, n.mannWhitneyU()); // every canary time above every baseline time
        assertTrue(n.mannWhitneyP() < 1e-20, "p " + n.mannWhitneyP());
    }
}
