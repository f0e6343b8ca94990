package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * A release driven with {@code canaryctl} only, as an operator or a CI pipeline would: after the
 * push, every step is a canaryctl command, checked by its exit code, its JSON and its sentences.
 */
class CanaryctlIT {
    static final Duration STEP = Duration.ofMinutes(4);

    record Run(int code, String out, String err) {}

    @BeforeAll
    static void up() {
        CanaryReleaseIT.up();
    }

    @AfterAll
    static void down() {
        CanaryReleaseIT.down();
    }

    /** {@code bin/canaryctl} with the operator's token, as {@code . .canary/env} gives it. */
    static Run ctl(String... args) {
        return ctlAs(CanaryReleaseIT.suite.env("OPERATOR_TOKEN"), args);
    }

    static Run ctlAs(String token, String... args) {
        Suite suite = CanaryReleaseIT.suite;
        List<String> cmd = new ArrayList<>(List.of(suite.root.resolve("bin/canaryctl").toString()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("canaryctl", ".out");
            Path err = Files.createTempFile("canaryctl", ".err");
            ProcessBuilder pb =
                    new ProcessBuilder(cmd)
                            .directory(suite.root.toFile())
                            .redirectOutput(out.toFile())
                            .redirectError(err.toFile());
            pb.environment().put("GATEWAY_URL", suite.env("GATEWAY_URL"));
            pb.environment().put("CANARY_TOKEN", token);
            Process p = pb.start();
            if (!p.waitFor(STEP.toSeconds() + 60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("canaryctl " + args[0] + " did not end");
            }
            Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
            System.out.printf(
                    "canaryctl %s → %d%n%s%s", String.join(" ", args), r.code(), r.out(), r.err());
            return r;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String app() {
        return CanaryReleaseIT.fleet.apps().get(0).name();
    }

    @Test
    void aReleaseFromPushToPromotedWithCanaryctlOnly() {
        LoadLoop load = CanaryReleaseIT.load();
        String id = CanaryReleaseIT.suite.pushChange(false); // the push: git, as GitHub sends it

        Run newest = ctl("get", app(), "-o", "json");
        assertEquals(0, newest.code(), newest.err());
        assertEquals(id, JsonPath.from(newest.out()).getString("id"), "get <app> is its newest");

        Run live = ctl("status", id, "--until", "CANARY_LIVE", "--timeout", "4m");
        assertEquals(0, live.code(), live.err());
        assertEquals("release " + id + " is CANARY_LIVE\n", live.out());

        Run early = ctl("status", id, "--timeout", "2s");
        assertEquals(2, early.code(), "a live canary is not PROMOTED within 2s: " + early.err());
        assertEquals("release " + id + " is still CANARY_LIVE after 2s\n", early.out());

        Run viewer = ctlAs(CanaryReleaseIT.suite.env("VIEWER_TOKEN"), "promote", id);
        assertEquals(1, viewer.code());
        assertTrue(viewer.err().contains("(403)"), viewer.err());
        assertTrue(viewer.err().contains("need an operator's token"), viewer.err());

        Run screen = ctl("get", id);
        assertEquals(0, screen.code(), screen.err());
        assertTrue(screen.out().contains("CANARY_LIVE"), screen.out());
        for (var h : CanaryReleaseIT.fleet.dockerHosts()) {
            assertTrue(
                    screen.out().contains(h.name()),
                    "get shows host " + h.name() + ":\n" + screen.out());
        }
        assertTrue(screen.out().contains("host.enabled"), "the last events:\n" + screen.out());

        Run promote = ctl("promote", id, "--reason", "canaryctl e2e", "-o", "json");
        assertEquals(0, promote.code(), promote.err());
        JsonPath answer = JsonPath.from(promote.out());
        assertEquals(id, answer.getString("releaseId"));
        assertEquals("canaryctl e2e", answer.getString("reason"));
        assertTrue(answer.getString("type").endsWith("promotion.requested"), promote.out());

        Run promoted = ctl("status", id, "--timeout", "4m");
        assertEquals(0, promoted.code(), promoted.err());
        assertEquals("release " + id + " is PROMOTED\n", promoted.out());

        Run again = ctl("promote", id);
        assertEquals(1, again.code());
        assertTrue(again.err().startsWith("canaryctl: refused (409): "), again.err());
        assertTrue(again.err().contains("PROMOTED"), again.err());

        Run list = ctl("releases", "--app", app(), "-o", "json");
        assertEquals(0, list.code(), list.err());
        assertEquals(
                "PROMOTED",
                JsonPath.from(list.out()).getString("items.find { it.id == '" + id + "' }.state"));

        Run history = ctl("history", app());
        assertEquals(0, history.code(), history.err());
        assertTrue(history.out().contains(id), history.out());

        Run events = ctl("events", "--release", id);
        assertEquals(0, events.code(), events.err());
        assertTrue(
                events.out().contains("promotion.requested")
                        && events.out().contains(": canaryctl e2e"),
                "the audit trail: operator and reason:\n" + events.out());
        assertTrue(events.out().contains("release.promoted"), events.out());

        String next = CanaryReleaseIT.versions().get(CanaryReleaseIT.canary());
        CanaryReleaseIT.awaitAllOn(next);
        load.close();
        CanaryReleaseIT.assertNoDrops(load);
    }

    /**
     * Pause and resume, then a deploy of an older version by its tag, on the real suite. The pause
     * is sent right behind the promote (the gateway takes it while deploy-service has not yet
     * answered the promote, and both go down the release's partition in order), so deploy-service
     * takes it during the first batch however fast that batch is: the hold is deterministic.
     */
    @Test
    void aPausedPromotionHoldsItsNextBatchUntilResumeAndAnOlderTagDeploysToEveryHost() {
        Suite suite = CanaryReleaseIT.suite;
        String gateway = suite.env("GATEWAY_URL");
        String op = suite.env("OPERATOR_TOKEN");
        Map<String, String> before = CanaryReleaseIT.versions();
        String old = before.get(CanaryReleaseIT.canary());
        String id = suite.pushChange(false);
        assertEquals(0, ctl("status", id, "--until", "CANARY_LIVE", "--timeout", "4m").code());
        String next = CanaryReleaseIT.versions().get(CanaryReleaseIT.canary());

        var promote = suite.post(gateway + "/releases/" + id + "/promote", op, "{}");
        assertEquals(202, promote.statusCode(), promote.body());
        Awaitility.await("the gateway has the promote")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20))
                .until(
                        () -> CanaryReleaseIT.release(id).getList("timeline.type"),
                        t -> t.contains("promotion.requested"));
        var pause =
                suite.post(
                        gateway + "/releases/" + id + "/pause",
                        op,
                        "{\"reason\": \"e2e: hold after the first batch\"}");
        assertEquals(202, pause.statusCode(), pause.body());

        assertEquals(0, ctl("status", id, "--until", "PAUSED", "--timeout", "4m").code());
        // held: the first batch is done, the second does not start, for as long as we look
        List<String> production =
                CanaryReleaseIT.fleet.productionHosts().stream().map(h -> h.name()).toList();
        Awaitility.await("the paused promotion holds its next batch")
                .during(Duration.ofSeconds(5))
                .atMost(Duration.ofSeconds(8))
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () ->
                                CanaryReleaseIT.state(id).equals("PAUSED")
                                        && promotionUpdates(id).size() == 1
                                        && CanaryReleaseIT.versions().values().stream()
                                                        .filter(old::equals)
                                                        .count()
                                                == production.size() - 1);
        String held =
                production.stream()
                        .filter(h -> !promotionUpdates(id).contains(h))
                        .findFirst()
                        .orElseThrow();
        assertEquals(old, CanaryReleaseIT.versions().get(held), "the held host: " + held);

        Run resume = ctl("resume", id, "--reason", "e2e: go on");
        assertEquals(0, resume.code(), resume.err());
        Run promoted = ctl("status", id, "--timeout", "4m");
        assertEquals(0, promoted.code(), promoted.err());
        CanaryReleaseIT.awaitAllOn(next);
        // the held host's update comes after the resume (as the monitor reads the topics)
        Awaitility.await("the resume, then the held host's update")
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                CanaryReleaseIT.capture.events(id).stream()
                                        .map(e -> e.type())
                                        .filter(
                                                t ->
                                                        t == EventType.RESUME_REQUESTED
                                                                || t
                                                                        == EventType
                                                                                .HOST_UPDATE_REQUESTED)
                                        .toList(),
                        order ->
                                order.size() >= 2
                                        && order.get(order.size() - 2)
                                                == EventType.RESUME_REQUESTED);
        assertEquals(2, promotionUpdates(id).size(), "both production hosts, once each");

        // a newer version everywhere, then the one before it again by its tag
        String tag = CanaryReleaseIT.release(id).getString("tag");
        String id2 = suite.pushChange(false);
        assertEquals(0, ctl("status", id2, "--until", "CANARY_LIVE", "--timeout", "4m").code());
        assertEquals(0, ctl("promote", id2, "--full").code());
        assertEquals(0, ctl("status", id2, "--timeout", "4m").code());
        String newest = CanaryReleaseIT.versions().get(CanaryReleaseIT.canary());
        CanaryReleaseIT.awaitAllOn(newest);

        Run deploy = ctl("deploy", app(), tag, "--reason", "e2e: back to " + next, "-o", "json");
        assertEquals(0, deploy.code(), deploy.err());
        JsonPath d = JsonPath.from(deploy.out());
        assertEquals(tag, d.getString("tag"));
        assertEquals(CanaryReleaseIT.release(id).getString("digest"), d.getString("digest"));
        String id3 = d.getString("releaseId");
        assertEquals(0, ctl("status", id3, "--until", "CANARY_LIVE", "--timeout", "4m").code());
        assertEquals(next, CanaryReleaseIT.versions().get(CanaryReleaseIT.canary()));
        assertEquals(0, ctl("promote", id3, "--full").code());
        Run back = ctl("status", id3, "--timeout", "4m");
        assertEquals(0, back.code(), back.err());
        CanaryReleaseIT.awaitAllOn(next);

        Run again = ctl("deploy", app(), tag);
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already runs"), again.err());
        Run missing = ctl("deploy", app(), "no-such-tag");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("the registry has no"), missing.err());
    }

    /** The hosts deploy-service asked to update in the release's promotion. */
    static List<String> promotionUpdates(String id) {
        return CanaryReleaseIT.of(id, EventType.HOST_UPDATE_REQUESTED).stream()
                .map(e -> (HostUpdateRequested) e.data())
                .filter(u -> u.stage() == Stage.PROMOTION)
                .map(HostUpdateRequested::host)
                .toList();
    }

    /**
     * Retry on the real suite: a canary that fails its health check (no {@code /health}) ends
     * FAILED; {@code canaryctl retry} starts its image again as a new release that names the failed
     * one, the canary is tried again and fails the same way, and the host is back on the version it
     * ran.
     */
    @Test
    void aRetryRunsAFailedReleasesImageAgainAsANewRelease() {
        String before =
                CanaryReleaseIT.hostVersion(
                                CanaryReleaseIT.fleet.host(CanaryReleaseIT.canary()).get())
                        .orElseThrow();
        String failed = CanaryReleaseIT.suite.pushChange(true);
        Run first = ctl("status", failed, "--timeout", "4m");
        assertEquals(1, first.code(), first.err());
        assertEquals("release " + failed + " is FAILED\n", first.out());
        String digest = JsonPath.from(ctl("get", failed, "-o", "json").out()).getString("digest");

        Run retry = ctl("retry", failed, "--reason", "canaryctl e2e retry", "-o", "json");
        assertEquals(0, retry.code(), retry.err());
        JsonPath started = JsonPath.from(retry.out());
        String again = started.getString("releaseId");
        assertTrue(again != null && !again.equals(failed), retry.out());
        assertEquals(failed, started.getString("retryOf"));
        assertEquals(digest, started.getString("digest"), "the same image");
        assertEquals("canaryctl e2e retry", started.getString("reason"));

        Run second = ctl("status", again, "--timeout", "4m");
        assertEquals(1, second.code(), "the same image fails the same way: " + second.err());
        assertEquals("release " + again + " is FAILED\n", second.out());
        assertEquals(
                digest,
                JsonPath.from(ctl("get", again, "-o", "json").out()).getString("digest"),
                "the retry released the failed release's image");
        assertTrue(
                !CanaryReleaseIT.of(again, EventType.HOST_UPDATE_FAILED).isEmpty(),
                "its canary was tried again and failed");
        CanaryReleaseIT.awaitAllOn(before);
    }

    @Test
    void anAbortedCanaryEndsStatusWithExit1() {
        String id = CanaryReleaseIT.suite.pushChange(false);
        assertEquals(0, ctl("status", id, "--until", "CANARY_LIVE", "--timeout", "4m").code());

        Run abort = ctl("abort", id, "--reason", "canaryctl says no");
        assertEquals(0, abort.code(), abort.err());
        assertTrue(
                abort.out().startsWith("abort.requested published for release " + id), abort.out());

        Run status = ctl("status", id, "--timeout", "4m");
        assertEquals(1, status.code(), "an aborted release fails the CI step: " + status.err());
        assertEquals("release " + id + " is ABORTED\n", status.out());
    }

    @Test
    void anUnknownReleaseIsASentenceWithExit1() {
        Run r = ctl("get", "no-such-release");

        assertEquals(1, r.code());
        assertTrue(r.err().contains("(404); `canaryctl releases` lists the releases"), r.err());
    }
}
