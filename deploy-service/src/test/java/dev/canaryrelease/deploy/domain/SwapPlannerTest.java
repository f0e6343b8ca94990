package dev.canaryrelease.deploy.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.canaryrelease.deploy.domain.SwapPlanner.Kind;
import dev.canaryrelease.deploy.domain.SwapPlanner.Observation;
import dev.canaryrelease.deploy.domain.SwapPlanner.Recovery;
import dev.canaryrelease.deploy.domain.SwapPlanner.Seen;
import dev.canaryrelease.deploy.domain.SwapPlanner.Wanted;
import dev.canaryrelease.events.ImageLabels;

/**
 * The swap planner as a table, without Docker: what the host shows and what it should run give the
 * actions; a health verdict gives the actions after it. The rows marked {@code CrashRecoveryTest}
 * are the cases that test runs on a real engine, one row each.
 */
class SwapPlannerTest {
    static final String NAME = "example-app";
    static final String IMAGE = "127.0.0.1:5000/example-app";
    static final String V1 = "sha256:" + "1".repeat(64);
    static final String V2 = "sha256:" + "2".repeat(64);
    static final String V3 = "sha256:" + "3".repeat(64);
    static final String V4 = "sha256:" + "4".repeat(64);
    static final String V5 = "sha256:" + "5".repeat(64);
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static final ContainerSpec FRESH =
            new ContainerSpec(
                    null,
                    NAME,
                    null,
                    null,
                    List.of("CANARY_HOST=docker0"),
                    null,
                    null,
                    null,
                    null,
                    "unless-stopped",
                    0,
                    null,
                    List.of(new ContainerSpec.PortBinding("3000/tcp", "127.0.0.11", "3000")),
                    null,
                    null,
                    null,
                    null);

    /** A container: id, name, state, the digest it runs, and when it stopped (minutes after T0). */
    static Seen c(String id, String name, String state, String digest, int stoppedAt) {
        return c(id, name, state, digest, stoppedAt, null);
    }

    static Seen c(
            String id, String name, String state, String digest, int stoppedAt, String before) {
        Map<String, String> labels = new HashMap<>();
        labels.put(ImageLabels.DIGEST, digest);
        if (before != null) labels.put(ImageLabels.PREVIOUS_DIGEST, before);
        ContainerSpec spec =
                new ContainerSpec(
                        id,
                        name,
                        IMAGE + "@" + digest,
                        "sha256:image-of-" + id,
                        List.of("CANARY_HOST=docker0"),
                        null,
                        null,
                        null,
                        labels,
                        "unless-stopped",
                        0,
                        null,
                        FRESH.ports(),
                        state,
                        null,
                        T0,
                        stoppedAt < 0 ? null : T0.plus(Duration.ofMinutes(stoppedAt)));
        return new Seen(spec, digest);
    }

    static String retired(String digest) {
        return NAME + "-" + digest.substring(7, 19);
    }

    /** One row: the operation, what the host shows, how far recovery went, the plan expected. */
    record Row(
            String name,
            Kind kind,
            String digest,
            List<Seen> host,
            boolean imagePresent,
            Recovery recovery,
            List<String> plan) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(
            String name,
            Kind kind,
            String digest,
            List<Seen> host,
            boolean imagePresent,
            Recovery recovery,
            String... plan) {
        return new Row(name, kind, digest, host, imagePresent, recovery, List.of(plan));
    }

    static Wanted wanted(String digest) {
        return new Wanted(NAME, IMAGE, digest, FRESH, 3);
    }

    static SwapPlan plan(Row r) {
        return SwapPlanner.plan(
                r.kind(),
                wanted(r.digest()),
                new Observation(r.host(), r.imagePresent(), ImageConfig.NONE),
                r.recovery());
    }

    // --- rendering a plan as lines ---------------------------------------------------------

    static String line(SwapAction a) {
        if (a instanceof SwapAction.Pull p) return "pull " + p.reference();
        if (a instanceof SwapAction.Stop s) return "stop " + s.container();
        if (a instanceof SwapAction.Rename r) return "rename " + r.container() + " " + r.name();
        if (a instanceof SwapAction.Remove r) return "remove " + r.container();
        if (a instanceof SwapAction.Start s) return "start " + s.container();
        if (a instanceof SwapAction.ReadLogs l) return "logs " + l.container();
        SwapAction.Create c = (SwapAction.Create) a;
        return "create "
                + c.name()
                + " "
                + c.spec().image()
                + " previous "
                + c.spec().labels().get(ImageLabels.PREVIOUS_DIGEST);
    }

    static String line(SwapResult r) {
        return r.ok()
                ? "report updated " + r.digest() + " (was " + r.previousDigest() + ")"
                : "report failed: " + r.reason() + " (previous " + r.previousDigest() + ")";
    }

    static List<String> lines(SwapPlan p) {
        List<String> out = new ArrayList<>();
        p.actions().forEach(a -> out.add(line(a)));
        SwapPlan.Then t = p.then();
        if (t instanceof SwapPlan.ObserveAgain o) {
            out.add("observe again (" + o.recovery() + ")");
        } else if (t instanceof SwapPlan.CheckHealth h) {
            h.first().forEach(a -> out.add(line(a)));
            out.add(
                    "check "
                            + h.container()
                            + (h.refusalIsVerdict() ? " (refusal = verdict)" : ""));
        } else if (t instanceof SwapPlan.Report r) {
            out.add(line(r.result()));
        } else if (t instanceof SwapPlan.RestoreThenReport rr) {
            out.add("restore " + rr.digest() + ", then " + line(rr.result()));
        } else {
            out.add("recovered");
        }
        return out;
    }

    static final String CREATED = SwapAction.CREATED;

    // --- the table -------------------------------------------------------------------------

    static Stream<Row> plans() {
        return Stream.of(
                // CrashRecoveryTest: kill -9 between create and start
                row(
                        "CrashRecoveryTest docker0: a crash left v1 stopped and renamed, v2 created"
                                + " and never started: the new one goes, v1 comes back",
                        Kind.SWAP,
                        V2,
                        List.of(
                                c("new", NAME, "created", V2, -1),
                                c("old", retired(V1), "exited", V1, 5)),
                        true,
                        Recovery.CHECK,
                        "remove new",
                        "rename old " + NAME,
                        "start old",
                        "observe again (DONE)"),
                row(
                        "CrashRecoveryTest docker0: after the recovery the swap to v2 runs from the"
                                + " start (the image is there: no pull)",
                        Kind.SWAP,
                        V2,
                        List.of(c("old", NAME, "running", V1, 5)),
                        true,
                        Recovery.DONE,
                        "stop old",
                        "rename old " + retired(V1),
                        "create " + NAME + " " + IMAGE + "@" + V2 + " previous " + V1,
                        "start " + CREATED,
                        "check " + CREATED + " (refusal = verdict)"),
                row(
                        "CrashRecoveryTest docker1: drained, never swapped, goes back: restore of v1"
                                + " where v1 runs does nothing",
                        Kind.RESTORE,
                        V1,
                        List.of(c("one", NAME, "running", V1, -1)),
                        false,
                        Recovery.CHECK,
                        "report updated " + V1 + " (was " + V1 + ")"),
                row(
                        "CrashRecoveryTest docker0: the rollback restarts the retained v1 container",
                        Kind.RESTORE,
                        V1,
                        List.of(
                                c("new", NAME, "running", V2, -1),
                                c("old", retired(V1), "exited", V1, 5)),
                        false,
                        Recovery.CHECK,
                        "stop new",
                        "rename new " + retired(V2),
                        "rename old " + NAME,
                        "start old",
                        "check old"),
                row(
                        "CrashRecoveryTest start: recoverAtStart on a consistent host does nothing",
                        Kind.RECOVER,
                        null,
                        List.of(
                                c("one", NAME, "running", V1, -1),
                                c("old", retired(V3), "exited", V3, 1)),
                        false,
                        Recovery.CHECK,
                        "recovered"),
                // the other recoveries
                row(
                        "two app containers running: the named one wins",
                        Kind.SWAP,
                        V2,
                        List.of(
                                c("new", NAME, "running", V2, -1),
                                c("old", retired(V1), "running", V1, 5)),
                        true,
                        Recovery.CHECK,
                        "stop old",
                        "observe again (EXTRAS_STOPPED)"),
                row(
                        "two running, neither named: the first one is kept",
                        Kind.RECOVER,
                        null,
                        List.of(
                                c("a", retired(V1), "running", V1, 1),
                                c("b", retired(V2), "running", V2, 2)),
                        false,
                        Recovery.CHECK,
                        "stop b",
                        "observe again (EXTRAS_STOPPED)"),
                row(
                        "after the extra one stopped, a consistent host goes on with the swap",
                        Kind.SWAP,
                        V2,
                        List.of(
                                c("new", NAME, "running", V2, -1, V1),
                                c("old", retired(V1), "exited", V1, 9)),
                        true,
                        Recovery.EXTRAS_STOPPED,
                        "check new"),
                row(
                        "the app container renamed away and none in its place: the newest retained"
                                + " one comes back",
                        Kind.RECOVER,
                        null,
                        List.of(
                                c("older", retired(V1), "exited", V1, 1),
                                c("newer", retired(V2), "exited", V2, 7)),
                        false,
                        Recovery.CHECK,
                        "rename newer " + NAME,
                        "start newer",
                        "observe again (DONE)"),
                row(
                        "EngineOutageMidSwapTest: stopped but not renamed (the engine went away):"
                                + " started again",
                        Kind.SWAP,
                        V2,
                        List.of(c("old", NAME, "exited", V1, 3)),
                        false,
                        Recovery.CHECK,
                        "start old",
                        "observe again (DONE)"),
                row(
                        "created and never started, with nothing to go back to: started",
                        Kind.RECOVER,
                        null,
                        List.of(c("new", NAME, "created", V2, -1)),
                        false,
                        Recovery.CHECK,
                        "start new",
                        "observe again (DONE)"),
                // swaps
                row(
                        "a host without the app: pull, create from the fleet's settings, start",
                        Kind.SWAP,
                        V2,
                        List.of(),
                        false,
                        Recovery.CHECK,
                        "pull " + IMAGE + "@" + V2,
                        "create " + NAME + " " + IMAGE + "@" + V2 + " previous null",
                        "start " + CREATED,
                        "check " + CREATED + " (refusal = verdict)"),
                row(
                        "a retained namesake of the retired name is replaced",
                        Kind.SWAP,
                        V2,
                        List.of(
                                c("old", NAME, "running", V1, 8),
                                c("stale", retired(V1), "exited", V1, 2)),
                        false,
                        Recovery.CHECK,
                        "pull " + IMAGE + "@" + V2,
                        "stop old",
                        "remove stale",
                        "rename old " + retired(V1),
                        "create " + NAME + " " + IMAGE + "@" + V2 + " previous " + V1,
                        "start " + CREATED,
                        "check " + CREATED + " (refusal = verdict)"),
                row(
                        "already on the digest (a redelivery): only the health check",
                        Kind.SWAP,
                        V2,
                        List.of(c("new", NAME, "running", V2, -1, V1)),
                        true,
                        Recovery.CHECK,
                        "check new"),
                // restores
                row(
                        "a restore without a digest keeps what runs",
                        Kind.RESTORE,
                        null,
                        List.of(c("new", NAME, "running", V2, -1)),
                        false,
                        Recovery.CHECK,
                        "report updated " + V2 + " (was " + V2 + ")"),
                row(
                        "a restore without a retained container of the digest swaps to it (pull)",
                        Kind.RESTORE,
                        V1,
                        List.of(c("new", NAME, "running", V2, -1)),
                        false,
                        Recovery.CHECK,
                        "pull " + IMAGE + "@" + V1,
                        "stop new",
                        "rename new " + retired(V2),
                        "create " + NAME + " " + IMAGE + "@" + V1 + " previous " + V2,
                        "start " + CREATED,
                        "check " + CREATED + " (refusal = verdict)"),
                row(
                        "a restore takes the retained container of the digest that stopped last",
                        Kind.RESTORE,
                        V1,
                        List.of(
                                c("new", NAME, "running", V2, -1),
                                c("v1a", retired(V1), "exited", V1, 1),
                                c("v1b", NAME + "-1111111111aa", "exited", V1, 4)),
                        false,
                        Recovery.CHECK,
                        "stop new",
                        "rename new " + retired(V2),
                        "rename v1b " + NAME,
                        "start v1b",
                        "check v1b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void plansFromWhatTheHostShows(Row r) {
        assertEquals(r.plan(), lines(plan(r)), r.name());
    }

    /** One row: a plan that ends in a health check, the verdict, the plan after it. */
    record AfterRow(String name, Row before, String unhealthy, List<String> plan) {
        @Override
        public String toString() {
            return name;
        }
    }

    static AfterRow after(String name, Row before, String unhealthy, String... plan) {
        return new AfterRow(name, before, unhealthy, List.of(plan));
    }

    static Row swapOf(List<Seen> host) {
        return row("", Kind.SWAP, V2, host, true, Recovery.DONE);
    }

    static Stream<AfterRow> verdicts() {
        List<Seen> v1Runs = List.of(c("old", NAME, "running", V1, 5));
        Row rollback =
                row(
                        "",
                        Kind.RESTORE,
                        V1,
                        List.of(
                                c("new", NAME, "running", V2, -1),
                                c("old", retired(V1), "exited", V1, 5)),
                        false,
                        Recovery.DONE);
        return Stream.of(
                after(
                        "CrashRecoveryTest docker0: v2 healthy after the recovered swap: v1 is"
                                + " kept, host.updated v2 (was v1)",
                        swapOf(v1Runs),
                        null,
                        "report updated " + V2 + " (was " + V1 + ")"),
                after(
                        "CrashRecoveryTest docker0: v1 healthy after the rollback: v2 is kept",
                        rollback,
                        null,
                        "report updated " + V1 + " (was " + V2 + ")"),
                after(
                        "an unhealthy new container: removed, the previous one renamed back and"
                                + " started",
                        swapOf(v1Runs),
                        "not healthy within 10s (no answer)",
                        "logs " + CREATED,
                        "remove " + CREATED,
                        "rename old " + NAME,
                        "start old",
                        "report failed: not healthy within 10s (no answer); "
                                + Reasons.PREVIOUS_RESTORED
                                + " (previous "
                                + V1
                                + ")"),
                after(
                        "an unhealthy first container on a new host: removed",
                        swapOf(List.of()),
                        "container example-app is exited, not running",
                        "logs " + CREATED,
                        "remove " + CREATED,
                        "report failed: container example-app is exited, not running; "
                                + Reasons.PREVIOUS_RESTORED
                                + " (previous null)"),
                after(
                        "healthy with more old containers than retained: the oldest goes",
                        swapOf(
                                List.of(
                                        c("v4", NAME, "running", V4, 9),
                                        c("v3", retired(V3), "exited", V3, 8),
                                        c("v2", retired(V2), "exited", V2, 6),
                                        c("v1", retired(V1), "exited", V1, 3))),
                        null,
                        "remove v1",
                        "report updated " + V2 + " (was " + V4 + ")"),
                after(
                        "already on the digest and healthy: host.updated with the digest before",
                        swapOf(List.of(c("new", NAME, "running", V2, -1, V1))),
                        null,
                        "report updated " + V2 + " (was " + V1 + ")"),
                after(
                        "already on the digest and unhealthy: back to the digest before, failed",
                        swapOf(List.of(c("new", NAME, "running", V2, -1, V1))),
                        "unhealthy",
                        "logs new",
                        "restore " + V1 + ", then report failed: unhealthy (previous " + V1 + ")"),
                after(
                        "already on the digest, unhealthy, nothing before it: failed",
                        swapOf(List.of(c("new", NAME, "running", V2, -1))),
                        "unhealthy",
                        "logs new",
                        "report failed: unhealthy (previous null)"),
                after(
                        "an unhealthy restored container: stopped, its name back, the current one"
                                + " back",
                        rollback,
                        "unhealthy",
                        "logs old",
                        "stop old",
                        "rename old " + retired(V1),
                        "rename new " + NAME,
                        "start new",
                        "report failed: unhealthy (previous " + V2 + ")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verdicts")
    void plansAfterTheHealthVerdict(AfterRow r) {
        SwapPlan.CheckHealth check =
                assertInstanceOf(SwapPlan.CheckHealth.class, plan(r.before()).then());
        assertEquals(r.plan(), lines(SwapPlanner.afterHealth(check.after(), r.unhealthy())));
    }

    @Test
    void theSuccessorKeepsTheContainersOwnSettingsAndLeavesTheImagesToTheNewImage() {
        ContainerSpec old =
                new ContainerSpec(
                        "0123456789abcdef",
                        NAME,
                        IMAGE + "@" + V1,
                        "sha256:img",
                        List.of("PATH=/bin", "GREETING=hi"),
                        List.of("httpd", "-f"),
                        List.of(),
                        "0123456789ab",
                        Map.of(ImageLabels.DIGEST, V1, "from-image", "x", "own", "y"),
                        "unless-stopped",
                        0,
                        "bridge",
                        FRESH.ports(),
                        "running",
                        null,
                        T0,
                        null);
        ImageConfig image =
                new ImageConfig(
                        List.of("PATH=/bin"),
                        List.of("httpd", "-f"),
                        null,
                        Map.of("from-image", "x"),
                        false);
        SwapPlan p =
                SwapPlanner.plan(
                        Kind.SWAP,
                        wanted(V2),
                        new Observation(List.of(new Seen(old, V1)), true, image),
                        Recovery.DONE);
        SwapPlan.CheckHealth check = (SwapPlan.CheckHealth) p.then();
        ContainerSpec next = ((SwapAction.Create) check.first().get(0)).spec();
        assertEquals(List.of("GREETING=hi"), next.env());
        assertEquals(List.of(), next.cmd(), "the image's command is the new image's to give");
        assertEquals(null, next.hostname(), "a hostname Docker derived from the id is not kept");
        assertEquals(
                Map.of(ImageLabels.DIGEST, V2, ImageLabels.PREVIOUS_DIGEST, V1, "own", "y"),
                next.labels());
        assertEquals(IMAGE + "@" + V2, next.image());
        assertEquals("bridge", next.networkMode());
        assertEquals(FRESH.ports(), next.ports());
    }

    @Test
    void theDigestOfAContainerIsItsLabelThenItsReferenceThenItsImagesRepoDigest() {
        Seen labelled = c("a", NAME, "running", V1, -1);
        assertEquals(
                V1,
                SwapPlanner.digestOf(
                        labelled.spec(),
                        () -> {
                            throw new AssertionError("no image lookup needed");
                        },
                        IMAGE));
        ContainerSpec bare =
                new ContainerSpec(
                        "b",
                        NAME,
                        IMAGE + ":v1",
                        "sha256:img",
                        null,
                        null,
                        null,
                        null,
                        null,
                        "",
                        0,
                        null,
                        null,
                        "running",
                        null,
                        T0,
                        null);
        assertEquals(
                V3,
                SwapPlanner.digestOf(
                        bare, () -> List.of("other/repo@" + V2, IMAGE + "@" + V3), IMAGE));
        assertEquals(V2, SwapPlanner.digestOf(bare, () -> List.of("other/repo@" + V2), IMAGE));
        assertEquals(null, SwapPlanner.digestOf(bare, List::of, IMAGE));
    }

    // --- the engine-wait rule (CrashRecoveryTest docker9: an engine that never answers) --------

    record RetryRow(String name, EngineRetry rule, int attempt, Duration waited, String pause) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<RetryRow> retries() {
        EngineRetry docker9 = new EngineRetry(3, Duration.ofMillis(500), Duration.ZERO);
        EngineRetry tenMinutes = new EngineRetry(3, Duration.ofMillis(500), Duration.ofMinutes(10));
        return Stream.of(
                new RetryRow(
                        "CrashRecoveryTest docker9: attempt 1 → again after 500 ms",
                        docker9,
                        1,
                        Duration.ZERO,
                        "PT0.5S"),
                new RetryRow(
                        "CrashRecoveryTest docker9: attempt 2 → again after 1 s",
                        docker9,
                        2,
                        Duration.ofMillis(500),
                        "PT1S"),
                new RetryRow(
                        "CrashRecoveryTest docker9: attempt 3 with engine-wait 0 s → gives up",
                        docker9,
                        3,
                        Duration.ofMillis(1500),
                        "give up"),
                new RetryRow(
                        "within engine-wait, past the attempts → again, the pause capped at 5 s",
                        tenMinutes,
                        9,
                        Duration.ofMinutes(2),
                        "PT5S"),
                new RetryRow(
                        "past engine-wait and the attempts → gives up",
                        tenMinutes,
                        40,
                        Duration.ofMinutes(10),
                        "give up"),
                new RetryRow(
                        "swap-attempts 0 counts as 1",
                        new EngineRetry(0, Duration.ofMillis(500), Duration.ZERO),
                        1,
                        Duration.ZERO,
                        "give up"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retries")
    void anUnreachableEngineIsTriedAgainAsTheRuleSays(RetryRow r) {
        Optional<Duration> next = r.rule().next(r.attempt(), r.waited());
        assertEquals(r.pause(), next.map(Duration::toString).orElse("give up"));
    }

    @Test
    void aSwapThatGaveUpSaysTheEngineWasNotReached() {
        assertEquals(
                "docker9: list containers: Connection refused (engine not reached in 3 attempts"
                        + " over 1 s)",
                EngineRetry.gaveUp(
                        "docker9: list containers: Connection refused",
                        3,
                        Duration.ofMillis(1500)));
    }
}
