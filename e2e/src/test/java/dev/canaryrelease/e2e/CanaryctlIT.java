package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

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
