package dev.canaryrelease.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.awaitility.Awaitility;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.analysis.Verdict.Outcome;
import dev.canaryrelease.events.model.AnalysisVerdict;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * {@code bench/analysis/run}: N good and N bad canaries on the local suite under load, analysed at
 * the fleet's default thresholds; prints the time from each bad canary's first bad answer to its
 * abort and the false verdicts.
 */
public final class AnalysisBench {
    private AnalysisBench() {}

    public static void main(String[] args) {
        int n = Integer.getInteger("canary.bench.n", 10);
        Suite suite = Suite.get();
        CanaryAnalysisIT.suite = suite;
        CanaryAnalysisIT.upWith(
                "CANARY_DEV_ANALYSIS={}",
                "CANARY_DEV_AUTO_PROMOTE=false",
                "CANARY_DEV_BAKE_TIME=0s");
        CanaryReleaseIT.suite = suite;
        CanaryReleaseIT.fleet = FleetLoader.load(Path.of(suite.env("CANARY_FLEET")));
        EventCapture capture =
                EventCapture.start(suite.env("KAFKA_BOOTSTRAP"), Topics.ALL.toArray(String[]::new));
        CanaryReleaseIT.capture = capture;
        CanaryAnalysisIT.capture = capture;
        List<String> rows = new ArrayList<>();
        List<Long> toAbort = new ArrayList<>();
        int falseVerdicts = 0;
        try (LoadLoop load =
                LoadLoop.start(
                        suite.env("APP_URL") + "/",
                        4,
                        Duration.ofHours(4),
                        CanaryReleaseIT::version)) {
            for (int i = 0; i < n; i++) {
                // a good canary: three verdicts, none failed, then an operator's abort
                String good = suite.pushChange();
                CanaryAnalysisIT.awaitState(good, Set.of("CANARY_LIVE"));
                Awaitility.await()
                        .atMost(Duration.ofMinutes(3))
                        .until(() -> CanaryAnalysisIT.verdicts(good).size() >= 3);
                List<AnalysisVerdict> gv = CanaryAnalysisIT.verdicts(good);
                boolean wrong = gv.stream().anyMatch(v -> v.outcome() == Outcome.FAIL);
                if (wrong) falseVerdicts++;
                rows.add("good " + (i + 1) + ": " + outcomes(gv) + (wrong ? "  FALSE FAIL" : ""));
                if (!CanaryReleaseIT.isFinal(CanaryReleaseIT.state(good))) {
                    CanaryReleaseIT.command(good, "abort", "bench/analysis: good canary judged");
                }
                CanaryAnalysisIT.awaitState(good, Set.of("ABORTED"));

                // a bad canary: aborted by itself
                String[] option =
                        i % 2 == 0
                                ? new String[] {"--errors", "10"}
                                : new String[] {"--slow", "300"};
                String bad = suite.pushChange(option);
                CanaryAnalysisIT.awaitState(bad, Set.of("CANARY_LIVE"));
                boolean aborted = true;
                try {
                    CanaryAnalysisIT.awaitState(bad, Set.of("ABORTED"));
                } catch (AssertionError | RuntimeException e) {
                    aborted = false;
                }
                List<AnalysisVerdict> bv = CanaryAnalysisIT.verdicts(bad);
                boolean passed = bv.stream().anyMatch(v -> v.outcome() == Outcome.PASS);
                if (passed || !aborted) falseVerdicts++;
                String took = "";
                if (aborted) {
                    long ms =
                            Duration.between(
                                            first(capture, bad, EventType.HOST_ENABLED),
                                            first(capture, bad, EventType.RELEASE_ABORTED))
                                    .toMillis();
                    toAbort.add(ms);
                    took = ", first bad answer → abort " + ms + " ms";
                } else {
                    CanaryReleaseIT.command(bad, "abort", "bench/analysis: never aborted");
                    CanaryAnalysisIT.awaitState(bad, Set.of("ABORTED"));
                }
                rows.add(
                        "bad "
                                + (i + 1)
                                + " ("
                                + String.join(" ", option)
                                + "): "
                                + outcomes(bv)
                                + took
                                + (passed ? "  FALSE PASS" : "")
                                + (aborted ? "" : "  NOT ABORTED"));
            }
            load.close();
            System.out.println("bench/analysis, " + n + " good and " + n + " bad canaries:");
            rows.forEach(r -> System.out.println("  " + r));
            if (!toAbort.isEmpty()) {
                System.out.println(
                        "first bad answer → abort: p50 "
                                + ReleaseBench.percentile(toAbort, 50)
                                + " ms, max "
                                + ReleaseBench.percentile(toAbort, 100)
                                + " ms (goal ≤ 30 s at the default interval)");
            }
            System.out.println("false verdicts: " + falseVerdicts + " (goal 0); load " + load);
        } finally {
            capture.close();
            CanaryAnalysisIT.upWith(); // dev/up's own fleet again
        }
        System.exit(0);
    }

    private static String outcomes(List<AnalysisVerdict> v) {
        return v.stream().map(x -> x.outcome().name().substring(0, 4)).toList().toString();
    }

    /**
     * When the release's first event of {@code type} was written (its canary's, for HOST_ENABLED).
     */
    private static Instant first(EventCapture capture, String id, EventType type) {
        return capture.events(id).stream()
                .filter(e -> e.type() == type)
                .filter(
                        e ->
                                !(e.data() instanceof HostEnabled h)
                                        || h.stage() == dev.canaryrelease.events.model.Stage.CANARY)
                .map(EventEnvelope::time)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + type + " in " + id));
    }
}
