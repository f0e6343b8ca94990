package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.analysis.CanaryJudge;
import dev.canaryrelease.events.analysis.LatencyHistogram;
import dev.canaryrelease.events.analysis.ServerWindow;
import dev.canaryrelease.events.analysis.Verdict;
import dev.canaryrelease.fleet.Fleet.Analysis;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.HaproxyLogReceiver;
import dev.canaryrelease.lb.domain.AnalysisWindows;
import dev.canaryrelease.lb.domain.ServerCounters;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * An analysis window collected from a real HAProxy: counter deltas from {@code show stat} and
 * per-request times from its log lines, through lb-service's syslog receiver, then judged. s1 is
 * the canary, s2 the baseline.
 */
class AnalysisCollectionTest {
    static TestBackend s1;
    static TestBackend s2;
    static HaproxyLogReceiver logs;
    static HaproxyServer haproxy;
    static HaproxyInstance instance;
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() throws Exception {
        s1 = TestBackend.start("s1");
        s2 = TestBackend.start("s2");
        logs = HaproxyLogReceiver.start(0);
        haproxy =
                HaproxyServer.start(
                        HaproxyServer.Spec.backend("web")
                                .server("s1", "127.0.0.1", s1.port())
                                .server("s2", "127.0.0.1", s2.port())
                                .log(logs.target(), HaproxyLogReceiver.LOG_FORMAT));
        instance = new HaproxyInstance("lb", haproxy.unixRuntimeApi(), Duration.ofSeconds(2));
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> haproxy.serverStatus().values().stream().allMatch("UP"::equals));
    }

    @AfterAll
    static void stop() {
        haproxy.close();
        logs.close();
        s1.close();
        s2.close();
    }

    @AfterEach
    void heal() {
        s1.errorEvery(0);
        s1.slow(0);
    }

    /** {@code n} GETs of {@code /} through the front end, 16 at a time; the statuses seen. */
    static Map<Integer, Integer> load(int n) throws Exception {
        Semaphore slots = new Semaphore(16);
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            slots.acquire();
            answers.add(
                    HTTP.sendAsync(
                                    HttpRequest.newBuilder(URI.create(haproxy.frontendUrl() + "/"))
                                            .timeout(Duration.ofSeconds(10))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .thenApply(HttpResponse::statusCode)
                            .whenComplete((r, e) -> slots.release()));
        }
        Map<Integer, Integer> statuses = new HashMap<>();
        for (CompletableFuture<Integer> a : answers) statuses.merge(a.join(), 1, Integer::sum);
        return statuses;
    }

    /** One window around {@code n} requests, as lb-service builds it. */
    static AnalysisWindows.Window window(int n) throws Exception {
        return window(n, new HashMap<>());
    }

    static AnalysisWindows.Window window(int n, Map<Integer, Integer> statuses) throws Exception {
        logs.take(); // what came before the window is not part of it
        List<ServerCounters> before = instance.counters();
        statuses.putAll(load(n));
        List<ServerCounters> after = instance.counters();
        Map<String, LatencyHistogram> latency = new HashMap<>();
        long[] unreadable = {0};
        // HAProxy sends each line when its request ends; wait for every request's line
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(
                        () -> {
                            HaproxyLogReceiver.Taken t = logs.take();
                            unreadable[0] += t.unreadable();
                            t.latency()
                                    .forEach(
                                            (k, h) ->
                                                    latency.merge(
                                                            k.server(), h, LatencyHistogram::plus));
                            return latency.values().stream()
                                            .mapToLong(LatencyHistogram::count)
                                            .sum()
                                    >= n;
                        });
        assertEquals(0, unreadable[0], "every log line read");
        return AnalysisWindows.build("web", Set.of("s1"), before, after, latency, List.of());
    }

    static ServerWindow server(AnalysisWindows.Window w, String name) {
        return w.servers().stream().filter(s -> s.server().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aGoodCanaryPassesOnHaproxysOwnNumbers() throws Exception {
        AnalysisWindows.Window w = window(240);
        assertEquals(List.of(), w.problems());
        ServerWindow canary = server(w, "s1");
        ServerWindow baseline = server(w, "s2");
        assertTrue(canary.canary());
        assertEquals(240, canary.requests() + baseline.requests());
        assertEquals(120, canary.latency().count(), "one time per request the canary served");
        assertEquals("UP", canary.status());
        Verdict v = CanaryJudge.judge(w.servers(), w.problems(), Analysis.DEFAULTS);
        assertEquals(Verdict.Outcome.PASS, v.outcome(), v.reason());
    }

    @Test
    void aCanaryAnsweringOneRequestInTenWith500FailsWithItsCounts() throws Exception {
        s1.errorEvery(10);
        Map<Integer, Integer> seen = new HashMap<>();
        AnalysisWindows.Window w = window(240, seen);
        ServerWindow canary = server(w, "s1");
        // retry-on all-retryable-errors: each 500 is retried on s2, the client sees 200, and
        // HAProxy
        // counts the failure in s1's wretr, not in hrsp_5xx
        assertEquals(Map.of(200, 240), seen, "the clients never saw the canary's 500s");
        assertEquals(0, canary.http5xx(), "hrsp_5xx " + canary);
        assertTrue(canary.retries() >= 10, "wretr delta " + canary);
        assertEquals(0, server(w, "s2").errors());
        Verdict v = CanaryJudge.judge(w.servers(), w.problems(), Analysis.DEFAULTS);
        assertEquals(Verdict.Outcome.FAIL, v.outcome(), v.reason());
        assertTrue(
                v.reason().contains("retried on another server), above maxErrorRate 1%"),
                v.reason());
    }

    @Test
    void aCanary150msSlowerFailsOnTheLogsTimes() throws Exception {
        s1.slow(150);
        AnalysisWindows.Window w = window(240);
        ServerWindow canary = server(w, "s1");
        assertTrue(canary.latency().percentile(0.5) >= 150, "canary times " + canary.latency());
        assertTrue(server(w, "s2").latency().percentile(0.5) < 50, "baseline " + server(w, "s2"));
        Verdict v = CanaryJudge.judge(w.servers(), w.problems(), Analysis.DEFAULTS);
        assertEquals(Verdict.Outcome.FAIL, v.outcome(), v.reason());
        assertTrue(v.reason().startsWith("the canary is slower: median"), v.reason());
    }

    @Test
    void aReloadDuringTheWindowMakesItInconclusive() throws Exception {
        List<ServerCounters> before = instance.counters();
        haproxy.reload();
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> instance.info().pid() != before.get(0).pid());
        load(60);
        AnalysisWindows.Window w =
                AnalysisWindows.build(
                        "web", Set.of("s1"), before, instance.counters(), Map.of(), List.of());
        assertTrue(
                w.problems().get(0).contains("HAProxy was reloaded during the window"),
                w.problems().toString());
        Verdict v = CanaryJudge.judge(w.servers(), w.problems(), Analysis.DEFAULTS);
        assertEquals(Verdict.Outcome.INCONCLUSIVE, v.outcome(), v.reason());
    }
}
