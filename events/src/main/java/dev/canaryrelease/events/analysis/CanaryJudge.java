package dev.canaryrelease.events.analysis;

import java.util.List;
import java.util.Locale;

import dev.canaryrelease.events.analysis.Verdict.Numbers;
import dev.canaryrelease.events.analysis.Verdict.Outcome;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.Fleet.Analysis;

/**
 * Judges one analysis window: the canary servers' sums against the baseline servers' over the same
 * window, with an app's {@code analysis} thresholds. Pure. The rules, first match wins:
 *
 * <ol>
 *   <li>a problem reading HAProxy or its log → inconclusive;
 *   <li>no canary server, or no baseline server → inconclusive;
 *   <li>a canary server HAProxy marks DOWN → fail; one in MAINT or DRAIN → inconclusive;
 *   <li>fewer than {@code minRequests} requests on either side → inconclusive (too little traffic
 *       is never a pass, nor a failure);
 *   <li>the canary's error rate (5xx, connection errors, response errors and attempts HAProxy
 *       retried, over requests) above {@code maxErrorRate} → fail, unless the baseline's is too
 *       (then inconclusive: the fault may not be the canary's);
 *   <li>fewer than {@code minRequests} latency samples on either side → inconclusive;
 *   <li>the canary significantly slower (one-sided Mann-Whitney U, p &lt; {@link #ALPHA}) and its
 *       median more than {@code maxLatencyIncrease} above the baseline's → fail;
 *   <li>otherwise pass.
 * </ol>
 *
 * Requiring both significance and a shift past the threshold keeps a tiny but real difference of a
 * busy window (significant, harmless) and a large but noisy one of a quiet window (big, not
 * significant) from failing a canary.
 */
public final class CanaryJudge {
    /** The significance level of the latency test (Kayenta's default confidence is 95 % too). */
    public static final double ALPHA = 0.05;

    private CanaryJudge() {}

    public static Verdict judge(
            List<ServerWindow> servers, List<String> problems, Analysis thresholds) {
        List<ServerWindow> canary = servers.stream().filter(ServerWindow::canary).toList();
        List<ServerWindow> baseline = servers.stream().filter(s -> !s.canary()).toList();
        Side c = Side.of(canary);
        Side b = Side.of(baseline);
        MannWhitney.Result mw =
                c.samples() >= thresholds.minRequests() && b.samples() >= thresholds.minRequests()
                        ? MannWhitney.greater(c.latency, b.latency)
                        : new MannWhitney.Result(c.samples(), b.samples(), 0, 0, 1);
        long shift = c.p50() >= 0 && b.p50() >= 0 ? c.p50() - b.p50() : 0;
        double allowed =
                thresholds.maxLatencyIncrease().allowedMillis(Math.max(0, (double) b.p50()));
        Numbers n =
                new Numbers(
                        c.requests,
                        c.errors,
                        c.rate(),
                        b.requests,
                        b.errors,
                        b.rate(),
                        c.samples(),
                        c.p50(),
                        c.p95(),
                        b.samples(),
                        b.p50(),
                        b.p95(),
                        shift,
                        allowed,
                        mw.u(),
                        mw.z(),
                        mw.p());

        if (!problems.isEmpty()) {
            return inconclusive(
                    "HAProxy's numbers could not be read: " + String.join("; ", problems), n);
        }
        if (canary.isEmpty()) {
            return inconclusive("no canary server in the window", n);
        }
        if (baseline.isEmpty()) {
            return inconclusive("no baseline server to compare the canary with", n);
        }
        for (ServerWindow s : canary) {
            if (s.down()) {
                return new Verdict(
                        Outcome.FAIL, "HAProxy marks canary " + s.host() + " " + s.status(), n);
            }
        }
        for (ServerWindow s : canary) {
            if (s.outOfRotation()) {
                return inconclusive(
                        "canary " + s.host() + " is out of rotation (" + s.status() + ")", n);
            }
        }
        int min = thresholds.minRequests();
        if (c.requests < min || b.requests < min) {
            return inconclusive(
                    "too little traffic: the canary served "
                            + c.requests
                            + " and the baseline "
                            + b.requests
                            + " requests, minRequests is "
                            + min,
                    n);
        }
        double maxRate = thresholds.maxErrorRate();
        if (c.rate() > maxRate) {
            String canaryErrors =
                    "the canary failed "
                            + c.errors
                            + " of "
                            + c.requests
                            + " requests ("
                            + pct(c.rate())
                            + c.breakdown()
                            + ")";
            if (b.rate() > maxRate) {
                return inconclusive(
                        canaryErrors
                                + " but the baseline failed "
                                + pct(b.rate())
                                + " too, above maxErrorRate "
                                + Fleet.percent(maxRate)
                                + ": the fault may not be the canary's",
                        n);
            }
            return new Verdict(
                    Outcome.FAIL,
                    canaryErrors
                            + ", above maxErrorRate "
                            + Fleet.percent(maxRate)
                            + "; the baseline "
                            + pct(b.rate()),
                    n);
        }
        if (c.samples() < min || b.samples() < min) {
            return inconclusive(
                    "too few latency samples from HAProxy's log: the canary "
                            + c.samples()
                            + " and the baseline "
                            + b.samples()
                            + ", minRequests is "
                            + min,
                    n);
        }
        String latency =
                "median "
                        + c.p50()
                        + " ms against "
                        + b.p50()
                        + " ms (p95 "
                        + c.p95()
                        + " against "
                        + b.p95()
                        + " ms), Mann-Whitney p = "
                        + String.format(Locale.ROOT, "%.3g", mw.p());
        if (mw.p() < ALPHA && shift > allowed) {
            return new Verdict(
                    Outcome.FAIL,
                    "the canary is slower: "
                            + latency
                            + ", "
                            + shift
                            + " ms more, above maxLatencyIncrease "
                            + thresholds.maxLatencyIncrease()
                            + (thresholds.maxLatencyIncrease().relative()
                                    ? String.format(
                                            Locale.ROOT,
                                            " of the baseline's median (%.1f ms)",
                                            allowed)
                                    : ""),
                    n);
        }
        return new Verdict(
                Outcome.PASS,
                "the canary failed "
                        + pct(c.rate())
                        + " of "
                        + c.requests
                        + " requests (baseline "
                        + pct(b.rate())
                        + "), "
                        + latency,
                n);
    }

    private static Verdict inconclusive(String reason, Numbers n) {
        return new Verdict(Outcome.INCONCLUSIVE, reason, n);
    }

    private static String pct(double rate) {
        return String.format(Locale.ROOT, "%.2f%%", rate * 100);
    }

    /** One side of the comparison: its servers' sums. */
    private record Side(
            long requests,
            long errors,
            long http5xx,
            long connectionErrors,
            long responseErrors,
            long retries,
            LatencyHistogram latency) {
        static Side of(List<ServerWindow> servers) {
            long r = 0, x5 = 0, ec = 0, er = 0, rt = 0;
            LatencyHistogram h = LatencyHistogram.EMPTY;
            for (ServerWindow s : servers) {
                r += s.requests();
                x5 += s.http5xx();
                ec += s.connectionErrors();
                er += s.responseErrors();
                rt += s.retries();
                h = h.plus(s.latency());
            }
            return new Side(r, x5 + ec + er + rt, x5, ec, er, rt, h);
        }

        /** Errors over requests, at most 1 (a failed connection may not count as a request). */
        double rate() {
            if (requests == 0) return errors == 0 ? 0 : 1;
            return Math.min(1.0, errors / (double) requests);
        }

        long samples() {
            return latency.count();
        }

        long p50() {
            return latency.percentile(0.50);
        }

        long p95() {
            return latency.percentile(0.95);
        }

        String breakdown() {
            return ": "
                    + http5xx
                    + " 5xx, "
                    + connectionErrors
                    + " connection errors, "
                    + responseErrors
                    + " response errors, "
                    + retries
                    + " retried on another server";
        }
    }
}
