package dev.canaryrelease.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.testsupport.TestFleet;

/**
 * What an operator sees from canaryctl without a gateway: lint, usage errors, an unreachable
 * gateway, and where the settings come from. Against the running suite: e2e {@code CanaryctlIT}.
 */
class CanaryctlTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Canaryctl.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void lintSaysAGoodFleetIsValid() {
        Path fleet = TestFleet.write("");

        Run r = run("lint", fleet.toString());

        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(fleet + " is valid: "), r.out());
        assertTrue(r.out().contains("app(s) example"), r.out());
    }

    @Test
    void lintNamesTheFileLineAndFieldOfABadFleet() throws IOException {
        Path fleet = TestFleet.write("");
        String yaml = Files.readString(fleet);
        Files.writeString(fleet, yaml.replaceFirst("canary: \\[docker0\\]", "canary: [docker7]"));

        Run r = run("lint", fleet.toString());

        assertEquals(1, r.code());
        assertTrue(r.err().contains("rollout.canary[0]: unknown host 'docker7'"), r.err());
        assertTrue(r.err().contains(fleet.toString()), r.err());
    }

    @Test
    void anUnreachableGatewayIsASentenceAndExit69() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Run r = run("--gateway", "http://127.0.0.1:" + closed, "releases");

        assertEquals(69, r.code());
        assertEquals(
                "canaryctl: cannot reach the gateway at http://127.0.0.1:"
                        + closed
                        + " (connection refused). Is the suite up (dev/up, dev/status)? The"
                        + " address comes from --gateway, CANARY_GATEWAY_URL or GATEWAY_URL"
                        + " (.canary/env).\n",
                r.err());
    }

    @Test
    void aWrongCommandLineIsExit64WithTheHelpToRead() {
        Run missing = run("status");
        assertEquals(64, missing.code());
        assertTrue(
                missing.err().contains("Missing required parameter: '<release>'"), missing.err());
        assertTrue(missing.err().contains("See 'canaryctl status --help'."), missing.err());

        Run typo = run("promot", "r1");
        assertEquals(64, typo.code());
        assertTrue(typo.err().contains("promote"), "suggests promote:\n" + typo.err());

        Run badOutput = run("--gateway", "http://127.0.0.1:1", "releases", "-o", "yaml");
        assertEquals(64, badOutput.code());
        assertTrue(badOutput.err().contains("expected one of [text, json]"), badOutput.err());

        Run badTimeout = run("status", "r1", "--timeout", "soon");
        assertEquals(64, badTimeout.code());
        assertTrue(badTimeout.err().contains("--timeout takes 90s, 10m or 1h, not soon"));
    }

    @Test
    void settingsComeFromTheCommandLineThenTheEnvironmentThenTheConfigFile() throws IOException {
        Path dir = Files.createTempDirectory("canaryctl");
        Path config = dir.resolve("config");
        Files.writeString(dir.resolve("token"), "from-token-file\n");
        Files.writeString(config, "gateway=https://gw.example:8443\ntoken-file=token\n");

        Settings fromFile = Settings.resolve(null, null, config, Map.of());
        assertEquals("https://gw.example:8443", fromFile.gateway().toString());
        assertEquals("from-token-file", fromFile.token());

        Settings fromEnv =
                Settings.resolve(
                        null,
                        null,
                        config,
                        Map.of(
                                "GATEWAY_URL",
                                "http://127.0.0.1:8080",
                                "VIEWER_TOKEN",
                                "v",
                                "OPERATOR_TOKEN",
                                "o"));
        assertEquals("http://127.0.0.1:8080", fromEnv.gateway().toString());
        assertEquals("o", fromEnv.token(), "the operator's token before the viewer's");

        Settings fromFlags =
                Settings.resolve("http://127.0.0.1:9", "t", config, Map.of("CANARY_TOKEN", "c"));
        assertEquals("http://127.0.0.1:9", fromFlags.gateway().toString());
        assertEquals("t", fromFlags.token());

        Run bad = run("--gateway", "127.0.0.1:8080", "releases");
        assertEquals(64, bad.code());
        assertTrue(bad.err().contains("must start with http:// or https://"), bad.err());
    }

    @Test
    void theGatewaysRefusalsSayWhatToDo() {
        assertTrue(
                Gateway.refusal(401, "/releases", "{\"error\":\"unknown token\"}")
                        .getMessage()
                        .contains("set CANARY_TOKEN (or --token)"));
        assertTrue(
                Gateway.refusal(403, "/releases/r1/promote", "{}")
                        .getMessage()
                        .contains("need an operator's token"));
        CtlException conflict =
                Gateway.refusal(
                        409,
                        "/releases/r1/promote",
                        "{\"error\":\"promote needs CANARY_LIVE\",\"state\":\"PROMOTED\"}");
        assertEquals(1, conflict.exitCode);
        assertEquals(
                "refused (409): promote needs CANARY_LIVE (the release is PROMOTED);"
                        + " `canaryctl get <release>` shows where it stands",
                conflict.getMessage());
        assertEquals(69, Gateway.refusal(503, "/releases", "{}").exitCode);
        CtlException noTag =
                Gateway.refusal(
                        404, "/apps/example/deploy", "{\"error\":\"the registry has no app:v9\"}");
        assertEquals(1, noTag.exitCode);
        assertEquals(
                "the registry has no app:v9 (404); `canaryctl history <app>` lists the app's"
                        + " releases with their tags and digests",
                noTag.getMessage());
        CtlException registryDown =
                Gateway.refusal(
                        503,
                        "/apps/example/deploy",
                        "{\"error\":\"the registry cannot be reached\"}");
        assertEquals(69, registryDown.exitCode);
        assertEquals(
                "the gateway cannot do it now (503): the registry cannot be reached; try again in a"
                        + " few seconds",
                registryDown.getMessage());
    }

    @Test
    void completionPrintsABashScriptWithTheVerbs() {
        Run r = run("completion");

        assertEquals(0, r.code());
        assertTrue(r.out().contains("complete -F"), r.out());
        assertTrue(r.out().contains("promote"), r.out());
        assertTrue(r.out().contains("deploy"), r.out());
    }

    /**
     * {@code canaryctl get} of a weighted canary: the gateway's {@code analysis} (the JSON {@code
     * GET /releases/{id}} answers, as the gateway's ReleaseApiTest checks it) as a table of the
     * latest windows with each reason, and the weighted steps.
     */
    @Test
    void getShowsTheLatestWindowsNumbersAndTheWeightedSteps() throws IOException {
        String json =
                """
                {"id": "r1", "app": "example", "state": "CANARY_LIVE", "hosts": [], "timeline": [],
                 "analysis": {"judged": 7, "windows": [
                   {"window": 7, "outcome": "INCONCLUSIVE", "failures": 1, "failureLimit": 2,
                    "reason": "too little traffic: the canary served 4 and the baseline 90 requests,
                 minRequests is 30; the canary stays at weighted step 2 of 2 (25%): waiting",
                    "canaryRequests": 4, "canaryErrorRate": 0.0, "canaryP50Ms": 5,
                    "canaryP95Ms": 11, "baselineRequests": 90, "baselineErrorRate": 0.0111,
                    "baselineP50Ms": 4, "baselineP95Ms": 9, "weightStep": 2, "wantedShare": 0.25,
                    "servedShare": 0.0426}],
                  "steps": [
                   {"step": 1, "wantedShare": 0.05, "weightShare": 0.05,
                    "weights": {"docker0": 2, "docker1": 19, "docker2": 19},
                    "servedShare": 0.048, "canarySessions": 12, "sessions": 250},
                   {"step": 2, "wantedShare": 0.25, "weightShare": 0.25,
                    "weights": {"docker0": 2, "docker1": 3, "docker2": 3},
                    "servedShare": null, "canarySessions": 0, "sessions": 0}]}}
                """
                        .replace("\n minRequests", " minRequests");
        StringWriter out = new StringWriter();
        Screen.release(
                new PrintWriter(out, true),
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(json));
        String screen = out.toString();

        assertTrue(screen.contains("canary analysis (latest 1 of 7 windows judged):"), screen);
        assertTrue(
                screen.contains(
                        "WINDOW  VERDICT       FAILED  STEP  CANARY REQ  ERRORS  P50/P95  BASELINE REQ"
                                + "  ERRORS  P50/P95  SHARE WANTED/SERVED"),
                screen);
        assertTrue(
                screen.contains(
                        "7       INCONCLUSIVE  1/2     2     4           0.0%    5/11 ms  90"
                                + "            1.1%    4/9 ms   25.0%/4.3%"),
                screen);
        assertTrue(
                screen.contains(
                        "  window 7 INCONCLUSIVE: too little traffic: the canary served 4 and the"
                                + " baseline 90 requests, minRequests is 30; the canary stays at"
                                + " weighted step 2 of 2 (25%): waiting"),
                screen);
        assertTrue(screen.contains("weighted steps:"), screen);
        assertTrue(
                screen.contains(
                        "1     5.0%    5.0%        4.8%       12 of 250  docker0=2 docker1=19"
                                + " docker2=19"),
                screen);
        assertTrue(
                screen.contains(
                        "2     25.0%   25.0%       (running)  -          docker0=2 docker1=3"
                                + " docker2=3"),
                screen);
    }
}
