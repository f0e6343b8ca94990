package dev.canaryrelease.deploy.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The verdict rule of one health check of a new container: healthy when the app answers {@code GET
 * <healthPath>} with 2xx and its Docker healthcheck (if the image has one) says healthy; unhealthy
 * at once when the container stopped or Docker says unhealthy, or on a definite no (its process
 * exited, even when its restart policy starts it again; 4xx/5xx {@link #DEFINITE_ANSWERS} times in
 * a row over {@code definiteAfter}, or connections refused on the app's port over {@code
 * definiteAfter} once the app's start grace is over: nothing listens there); silence (no answer, a
 * timeout, a reset) waits for the whole deadline. The executor probes and asks after each probe;
 * this class only judges (deterministic, the clock is an argument). Not thread-safe: one per check.
 */
public final class HealthCheck {

    /** Error answers (4xx/5xx) in a row, over {@code definite-failure-after}, that fail a check. */
    public static final int DEFINITE_ANSWERS = 3;

    private static final long FIRST_PAUSE_MS = 25;
    // at most 50 ms between probes: the host is drained and waits for exactly this answer (the
    // swap's
    // floor is the app's own start), and a probe is one inspect and one GET; 250 ms cost up to a
    // quarter of a second per host
    private static final long MAX_PAUSE_MS = 50;

    /** What the rule says after a probe. */
    public sealed interface Verdict {}

    public record Healthy() implements Verdict {}

    public record Unhealthy(String reason) implements Verdict {}

    /** No verdict yet: probe again after {@code pause}. */
    public record Wait(Duration pause) implements Verdict {}

    private final Duration timeout;
    private final Instant deadline;
    private final Duration definiteAfter;
    private final Instant graceEnds;
    private final Duration startGrace;
    private String last = "no answer";
    private Instant firstRefusal; // refused connections in a row after the start grace
    private long pause = FIRST_PAUSE_MS;
    private int errors; // answers >= 400 in a row
    private Instant firstError;

    /**
     * @param start when the check starts
     * @param timeout the fleet's health deadline ({@code rollout.deadlines.health})
     * @param definiteAfter {@code canary.deploy.definite-failure-after}
     * @param startGrace the app's {@code startGrace}: how long it may refuse connections
     */
    public HealthCheck(
            Instant start, Duration timeout, Duration definiteAfter, Duration startGrace) {
        this.timeout = timeout;
        this.deadline = start.plus(timeout);
        this.definiteAfter = definiteAfter;
        this.startGrace = startGrace;
        this.graceEnds = start.plus(startGrace);
    }

    /** A check with no start grace rule beyond the deadline (refusals wait like silence). */
    public HealthCheck(Instant start, Duration timeout, Duration definiteAfter) {
        this(start, timeout, definiteAfter, timeout);
    }

    /** The container as inspected before a probe: one not running, or unhealthy, is a verdict. */
    public Optional<Verdict> container(ContainerSpec c) {
        boolean restarting = "restarting".equals(c.state()) || c.restartCount() > 0;
        if (restarting || "exited".equals(c.state()) || "dead".equals(c.state())) {
            // the app's process ended: a definite no, whatever the restart policy does next
            return Optional.of(
                    new Unhealthy(
                            Reasons.HEALTH_DEFINITE
                                    + "container "
                                    + c.name()
                                    + " exited"
                                    + (c.exitCode() == null ? "" : " with code " + c.exitCode())
                                    + (restarting
                                            ? " (Docker restarted it "
                                                    + Math.max(1, c.restartCount())
                                                    + " time(s); now "
                                                    + c.state()
                                                    + ")"
                                            : "")));
        }
        if (!c.running()) {
            return Optional.of(
                    new Unhealthy("container " + c.name() + " is " + c.state() + ", not running"));
        }
        if ("unhealthy".equals(c.health())) {
            return Optional.of(
                    new Unhealthy("Docker healthcheck of " + c.name() + " reports unhealthy"));
        }
        return Optional.empty();
    }

    /** The app answered {@code GET uri} with {@code status}; {@code dockerHealth} may be null. */
    public Verdict answered(String uri, int status, String dockerHealth, Instant now) {
        firstRefusal = null;
        boolean http2xx = status / 100 == 2;
        if (http2xx && (dockerHealth == null || "healthy".equals(dockerHealth))) {
            return new Healthy();
        }
        last = "GET " + uri + " → " + status;
        if (http2xx) last = last + ", Docker healthcheck " + dockerHealth;
        if (status >= 400) {
            if (errors++ == 0) firstError = now;
            Duration over = Duration.between(firstError, now);
            // the app answers, and says no: a definite failure, no need to wait for the deadline
            // (silence and refused connections still get all of it)
            if (errors >= DEFINITE_ANSWERS && over.compareTo(definiteAfter) >= 0) {
                return new Unhealthy(
                        Reasons.HEALTH_DEFINITE
                                + "GET "
                                + uri
                                + " answered "
                                + status
                                + " "
                                + errors
                                + " times in a row over "
                                + over.toMillis()
                                + " ms");
            }
        } else {
            errors = 0;
        }
        return waitOrTimeOut(now);
    }

    /** {@code GET uri} got no answer ({@code failure}: what, e.g. {@code HttpTimeoutException}). */
    public Verdict noAnswer(String uri, String failure, Instant now) {
        errors = 0;
        firstRefusal = null;
        last = "GET " + uri + " → " + failure;
        return waitOrTimeOut(now);
    }

    /**
     * {@code GET uri}'s connection was refused, or closed before any answer ({@code what}; Docker's
     * port proxy accepts and then closes when nothing listens in the container): nothing listens on
     * the port. While the app starts (its start grace) that is silence; after it, refusals in a row
     * over {@code definiteAfter} are a definite failure.
     */
    public Verdict refused(String uri, String what, Instant now) {
        errors = 0;
        last = "GET " + uri + " → " + what;
        if (!now.isBefore(graceEnds)) {
            if (firstRefusal == null) firstRefusal = now;
            Duration over = Duration.between(firstRefusal, now);
            if (over.compareTo(definiteAfter) >= 0) {
                return new Unhealthy(
                        Reasons.HEALTH_DEFINITE
                                + "GET "
                                + uri
                                + ": "
                                + what
                                + ", refused or closed for "
                                + over.toMillis()
                                + " ms after the app's start grace of "
                                + startGrace.toMillis()
                                + " ms (nothing listens on the port)");
            }
        }
        return waitOrTimeOut(now);
    }

    private Verdict waitOrTimeOut(Instant now) {
        if (now.isAfter(deadline)) {
            return new Unhealthy(Reasons.HEALTH_TIMEOUT + timeout.toSeconds() + "s (" + last + ")");
        }
        Duration p = Duration.ofMillis(pause);
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
        return new Wait(p);
    }
}
