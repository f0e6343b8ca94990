package dev.canaryrelease.deploy.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The health verdict rule as a table: a series of probes (each at a time after the start) and the
 * verdict after each. Deadline 10 s, definite failure after 1 s.
 */
class HealthCheckTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final String URI = "http://127.0.0.11:3000/health";

    /** A probe: at {@code ms} after the start, the container's state, Docker health, answer. */
    record Probe(
            long ms,
            String state,
            String health,
            Integer status,
            String failure,
            Integer exitCode,
            int restarts) {
        Probe(long ms, String state, String health, Integer status, String failure) {
            this(ms, state, health, status, failure, null, 0);
        }
    }

    static Probe answer(long ms, int status) {
        return new Probe(ms, "running", null, status, null);
    }

    static Probe answer(long ms, int status, String dockerHealth) {
        return new Probe(ms, "running", dockerHealth, status, null);
    }

    static Probe silence(long ms) {
        return new Probe(ms, "running", null, null, "HttpConnectTimeoutException");
    }

    /** Nothing listens on the port: the connection is refused. */
    static Probe refused(long ms) {
        return new Probe(ms, "running", null, null, "refused");
    }

    static Probe container(long ms, String state, String health) {
        return new Probe(ms, state, health, null, null);
    }

    /**
     * The app's process ended with {@code exitCode}; Docker restarted it {@code restarts} times.
     */
    static Probe exited(long ms, String state, int exitCode, int restarts) {
        return new Probe(ms, state, null, null, null, exitCode, restarts);
    }

    record Row(String name, List<Probe> probes, List<String> verdicts) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(String name, List<Probe> probes, String... verdicts) {
        return new Row(name, probes, List.of(verdicts));
    }

    static String text(HealthCheck.Verdict v) {
        if (v instanceof HealthCheck.Healthy) return "healthy";
        if (v instanceof HealthCheck.Unhealthy u) return "unhealthy: " + u.reason();
        return "wait " + ((HealthCheck.Wait) v).pause().toMillis();
    }

    static Stream<Row> rows() {
        return Stream.of(
                row(
                        "2xx without a Docker healthcheck: healthy",
                        List.of(answer(0, 200)),
                        "healthy"),
                row(
                        "2xx while Docker says starting: wait, then healthy",
                        List.of(answer(0, 204, "starting"), answer(30, 200, "healthy")),
                        "wait 25",
                        "healthy"),
                row(
                        "the container exited: unhealthy at once",
                        List.of(container(0, "exited", null)),
                        "unhealthy: " + Reasons.HEALTH_DEFINITE + "container example-app exited"),
                row(
                        "the app's process exited with a code: unhealthy at once, naming it",
                        List.of(exited(0, "exited", 3, 0)),
                        "unhealthy: "
                                + Reasons.HEALTH_DEFINITE
                                + "container example-app exited with code 3"),
                row(
                        "exited, and the restart policy is starting it again: unhealthy at once",
                        List.of(exited(0, "restarting", 3, 1)),
                        "unhealthy: "
                                + Reasons.HEALTH_DEFINITE
                                + "container example-app exited with code 3 (Docker restarted it"
                                + " 1 time(s); now restarting)"),
                row(
                        "running again after a restart: it exited once, unhealthy at once",
                        List.of(exited(0, "running", 1, 2)),
                        "unhealthy: "
                                + Reasons.HEALTH_DEFINITE
                                + "container example-app exited with code 1 (Docker restarted it"
                                + " 2 time(s); now running)"),
                row(
                        "created but never started: not running",
                        List.of(container(0, "created", null)),
                        "unhealthy: container example-app is created, not running"),
                row(
                        "Docker says unhealthy: unhealthy at once",
                        List.of(container(0, "running", "unhealthy")),
                        "unhealthy: Docker healthcheck of example-app reports unhealthy"),
                row(
                        "three 500s within 1 s are not yet definite; the pause doubles to 50 ms",
                        List.of(
                                answer(0, 500),
                                answer(100, 500),
                                answer(200, 500),
                                answer(300, 500),
                                answer(400, 500),
                                answer(500, 500)),
                        "wait 25",
                        "wait 50",
                        "wait 50",
                        "wait 50",
                        "wait 50",
                        "wait 50"),
                row(
                        "500s in a row over 1 s: a definite failure before the deadline",
                        List.of(answer(0, 500), answer(600, 503), answer(1000, 500)),
                        "wait 25",
                        "wait 50",
                        "unhealthy: "
                                + Reasons.HEALTH_DEFINITE
                                + "GET "
                                + URI
                                + " answered 500 3 times in a row over 1000 ms"),
                row(
                        "silence between error answers starts the count again",
                        List.of(
                                answer(0, 500),
                                answer(600, 500),
                                silence(900),
                                answer(1000, 500),
                                answer(2500, 500)),
                        "wait 25",
                        "wait 50",
                        "wait 50",
                        "wait 50",
                        "wait 50"),
                row(
                        "silence waits the whole deadline, then says what it last saw",
                        List.of(silence(0), silence(9_999), silence(10_001)),
                        "wait 25",
                        "wait 50",
                        "unhealthy: "
                                + Reasons.HEALTH_TIMEOUT
                                + "10s (GET "
                                + URI
                                + " → HttpConnectTimeoutException)"),
                row(
                        "a 404 until the deadline, fewer than three in a row past 1 s: timeout",
                        List.of(answer(0, 404), answer(10_001, 404)),
                        "wait 25",
                        "unhealthy: " + Reasons.HEALTH_TIMEOUT + "10s (GET " + URI + " → 404)"));
    }

    /** The app's start grace is 2 s in these rows. */
    static Stream<Row> refusals() {
        return Stream.of(
                row(
                        "refused while the app starts, then it answers: healthy",
                        List.of(refused(0), refused(1500), answer(1800, 200)),
                        "wait 25",
                        "wait 50",
                        "healthy"),
                row(
                        "refused past the start grace for 1 s: a definite failure at 3 s",
                        List.of(refused(0), refused(2000), refused(2500), refused(3000)),
                        "wait 25",
                        "wait 50",
                        "wait 50",
                        "unhealthy: "
                                + Reasons.HEALTH_DEFINITE
                                + "GET "
                                + URI
                                + ": refused, refused or closed for 1000 ms after the app's start"
                                + " grace of 2000 ms (nothing listens on the port)"),
                row(
                        "an answer between refusals starts the count again",
                        List.of(refused(2000), answer(2600, 503), refused(2700), refused(3600)),
                        "wait 25",
                        "wait 50",
                        "wait 50",
                        "wait 50"),
                row(
                        "silence past the start grace still waits the deadline",
                        List.of(silence(2000), silence(5000), silence(10_001)),
                        "wait 25",
                        "wait 50",
                        "unhealthy: "
                                + Reasons.HEALTH_TIMEOUT
                                + "10s (GET "
                                + URI
                                + " → HttpConnectTimeoutException)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusalsAfterTheStartGraceAreDefinite(Row r) {
        judge(
                new HealthCheck(
                        T0, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(2)),
                r);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void judgesEachProbe(Row r) {
        judge(new HealthCheck(T0, Duration.ofSeconds(10), Duration.ofSeconds(1)), r);
    }

    private static void judge(HealthCheck check, Row r) {
        List<String> verdicts = new ArrayList<>();
        for (Probe p : r.probes()) {
            ContainerSpec c =
                    new ContainerSpec(
                            "id",
                            "example-app",
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            "",
                            0,
                            null,
                            null,
                            p.state(),
                            p.health(),
                            T0,
                            null,
                            p.exitCode(),
                            p.restarts());
            Instant now = T0.plusMillis(p.ms());
            HealthCheck.Verdict v =
                    check.container(c)
                            .orElseGet(
                                    () ->
                                            p.status() != null
                                                    ? check.answered(
                                                            URI, p.status(), p.health(), now)
                                                    : p.failure().equals("refused")
                                                            ? check.refused(URI, p.failure(), now)
                                                            : check.noAnswer(
                                                                    URI, p.failure(), now));
            verdicts.add(text(v));
        }
        assertEquals(r.verdicts(), verdicts);
    }
}
