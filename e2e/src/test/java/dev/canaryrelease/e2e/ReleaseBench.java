package dev.canaryrelease.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * {@code bench/release/run}: one 3-host release and one aborted canary on the local suite under
 * load; prints one table (from the CloudEvent times) and appends it to docs/benchmarks.md.
 */
public final class ReleaseBench {
    private ReleaseBench() {}

    static Instant time(
            String release, EventType type, java.util.function.Predicate<CanaryEvent> p) {
        return CanaryReleaseIT.capture.events(release).stream()
                .filter(e -> e.type() == type && p.test(e.data()))
                .map(EventEnvelope::time)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + type + " in " + release));
    }

    /**
     * One hop ({@code total}: ce_time → read), split in two: ce_time → the producer's record
     * timestamp (inside the service: deciding, the outbox, serialising), then record timestamp →
     * read (client, TLS, broker).
     */
    record Hop(long total, long inService, long onTheWire, String what) {}

    /** The p-th percentile (nearest rank) of the values. */
    static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(sorted.size() * p / 100.0) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    static long ms(Instant a, Instant b) {
        return Duration.between(a, b).toMillis();
    }

    static final Pattern HAND_HOST = Pattern.compile("host (\\S+): (.*) = (\\d+) ms");
    static final Pattern HAND_TOTAL =
            Pattern.compile("hand release of \\S+ on (\\d+) hosts: (\\d+) ms");

    /**
     * The baseline beside the suite's release, in the same run: bench/release/hand-release, the
     * seed's manual procedure scripted by hand (drain with socat, docker pull/stop/rm/run, the same
     * health wait, ready), under the same load; against the suite's image.pushed → release.promoted
     * of release {@code id} (promote sent as soon as the canary was live).
     */
    static List<String[]> baseline(String id, int rate) {
        List<String[]> rows = new ArrayList<>();
        String url = CanaryReleaseIT.suite.env("APP_URL") + "/";
        Duration most = Duration.ofMinutes(5);
        long suite =
                ms(
                        time(id, EventType.IMAGE_PUSHED, e -> true),
                        time(id, EventType.RELEASE_PROMOTED, e -> true));
        Suite.Result hand;
        LoadLoop load =
                rate > 0
                        ? LoadLoop.paced(url, 4, rate, most, CanaryReleaseIT::version)
                        : LoadLoop.start(url, 4, most, CanaryReleaseIT::version);
        try (load) {
            hand = Suite.run(CanaryReleaseIT.suite.root, most, "bench/release/hand-release");
        }
        if (hand.code() != 0) {
            rows.add(row("baseline by hand (bench/release/hand-release) FAILED", hand.code(), "—"));
            System.err.println(hand.output());
            return rows;
        }
        System.out.println(hand.output()); // with each host's failed health probes
        Matcher h = HAND_HOST.matcher(hand.output());
        while (h.find()) {
            rows.add(
                    row(
                            "baseline by hand, host " + h.group(1) + " cycle: " + h.group(2),
                            Long.parseLong(h.group(3)),
                            "—"));
        }
        Matcher total = HAND_TOTAL.matcher(hand.output());
        if (!total.find()) throw new IllegalStateException("no total in:\n" + hand.output());
        long handMs = Long.parseLong(total.group(2));
        rows.add(
                row(
                        "baseline by hand: " + total.group(1) + " hosts one after the other",
                        handMs,
                        "—"));
        rows.add(
                row(
                        "the suite: image.pushed → release.promoted (canary, promote at once, the"
                                + " rest)",
                        suite,
                        "—"));
        rows.add(
                new String[] {
                    "the suite / the hand script",
                    String.format(java.util.Locale.ROOT, "%.2f", suite / (double) handMs),
                    "≤ 1.1"
                });
        rows.add(
                new String[] {
                    "requests served / dropped at the front end during the hand script",
                    load.ok() + " / " + load.dropped(),
                    "—"
                });
        return rows;
    }

    public static void main(String[] args) throws Exception {
        CanaryReleaseIT.up();
        var capture = CanaryReleaseIT.capture;
        var fleet = CanaryReleaseIT.fleet;
        List<String[]> rows = new ArrayList<>();
        // paced, not flat out: on 2 cores a saturating load generator would make every figure a
        // measure of CPU starvation; 0 (-Dcanary.bench.rate=0) runs it flat out as the e2e does
        int rate = Integer.getInteger("canary.bench.rate", 200);
        LoadLoop load =
                LoadLoop.paced(
                        CanaryReleaseIT.suite.env("APP_URL") + "/",
                        4,
                        rate,
                        Duration.ofMinutes(20),
                        CanaryReleaseIT::version);

        // warm-up releases, not measured (-Dcanary.bench.warmup, default 1): the first release
        // after
        // dev/up runs while every JVM (the broker's C2 above all) is still compiling its hot paths;
        // a suite in production has long left that behind, so the figures below are its steady
        // state
        int warmups = Integer.getInteger("canary.bench.warmup", 1);
        for (int i = 0; i < warmups; i++) {
            String w = CanaryReleaseIT.suite.pushChange(false);
            CanaryReleaseIT.awaitState(w, Set.of("CANARY_LIVE"));
            CanaryReleaseIT.command(w, "promote", "bench warm-up");
            CanaryReleaseIT.awaitState(w, Set.of("PROMOTED"));
            CanaryReleaseIT.awaitAllOn(CanaryReleaseIT.versions().get(CanaryReleaseIT.canary()));
        }

        Map<String, Long> cpuBefore = cpuTicks();
        String start = CanaryReleaseIT.versions().get(CanaryReleaseIT.canary());
        Instant pushed = Instant.now();
        String id = CanaryReleaseIT.suite.pushChange(false);
        CanaryReleaseIT.awaitState(id, Set.of("CANARY_LIVE"));
        CanaryReleaseIT.command(id, "promote", "bench");
        CanaryReleaseIT.awaitState(id, Set.of("PROMOTED"));
        String next = CanaryReleaseIT.versions().get(CanaryReleaseIT.canary());
        CanaryReleaseIT.awaitAllOn(next);

        rows.add(
                row(
                        "dev/push-change → build.requested (includes git commit+push)",
                        ms(pushed, time(id, EventType.BUILD_REQUESTED, e -> true)),
                        "—"));
        rows.add(
                row(
                        "build.requested → image.pushed (clone, build, push)",
                        ms(
                                time(id, EventType.BUILD_REQUESTED, e -> true),
                                time(id, EventType.IMAGE_PUSHED, e -> true)),
                        "—"));
        rows.add(
                row(
                        "image.pushed → canary.live",
                        ms(
                                time(id, EventType.IMAGE_PUSHED, e -> true),
                                time(id, EventType.CANARY_LIVE, e -> true)),
                        "≤ 5000"));
        for (var h : fleet.dockerHosts()) {
            String n = h.name();
            Instant req =
                    time(
                            id,
                            EventType.HOST_UPDATE_REQUESTED,
                            e -> ((HostUpdateRequested) e).host().equals(n));
            Instant drained =
                    time(id, EventType.HOST_DRAINED, e -> ((HostDrained) e).host().equals(n));
            Instant updated =
                    time(id, EventType.HOST_UPDATED, e -> ((HostUpdated) e).host().equals(n));
            Instant enabled =
                    time(id, EventType.HOST_ENABLED, e -> ((HostEnabled) e).host().equals(n));
            rows.add(
                    row(
                            "host "
                                    + n
                                    + " cycle: drain "
                                    + ms(req, drained)
                                    + " + swap "
                                    + ms(drained, updated)
                                    + " + enable "
                                    + ms(updated, enabled),
                            ms(req, enabled),
                            "≤ 3000 + app start"));
        }
        rows.add(
                row(
                        "whole release: build.requested → release.promoted (promote sent at once)",
                        ms(
                                time(id, EventType.BUILD_REQUESTED, e -> true),
                                time(id, EventType.RELEASE_PROMOTED, e -> true)),
                        "—"));

        // rollback (issue 18 point 3): the promoted release back on every host, from the retained
        // containers, without bake or analysis
        Instant rollbackAt = Instant.now();
        CanaryReleaseIT.command(id, "rollback", "bench");
        CanaryReleaseIT.awaitAllOn(start);
        rows.add(
                row(
                        "rollback of the promoted hosts → all on the previous version (seen at the"
                                + " hosts)",
                        ms(rollbackAt, Instant.now()),
                        "≤ 2000"));
        CanaryReleaseIT.awaitState(id, Set.of("ROLLED_BACK"));

        // a definite health failure (issue 18 point 4): a canary whose /health answers 404
        String broken = CanaryReleaseIT.suite.pushChange(true);
        CanaryReleaseIT.awaitState(broken, Set.of("FAILED", "ROLLED_BACK"));
        CanaryReleaseIT.awaitAllOn(start);
        Instant requested = time(broken, EventType.HOST_UPDATE_REQUESTED, e -> true);
        Instant failed = time(broken, EventType.HOST_UPDATE_FAILED, e -> true);
        String reason =
                CanaryReleaseIT.capture.events(broken).stream()
                        .filter(e -> e.type() == EventType.HOST_UPDATE_FAILED)
                        .map(
                                e ->
                                        ((dev.canaryrelease.events.model.HostUpdateFailed) e.data())
                                                .reason())
                        .findFirst()
                        .orElse("?");
        rows.add(
                row(
                        "a canary whose /health answers 404: host.update-requested →"
                                + " host.update-failed (\""
                                + reason.replace("|", "/")
                                + "\")",
                        ms(requested, failed),
                        "≤ 3000"));

        // abort: a second canary, aborted as soon as it is live
        String before = start;
        String ab = CanaryReleaseIT.suite.pushChange(false);
        CanaryReleaseIT.awaitState(ab, Set.of("CANARY_LIVE"));
        Instant abortAt = Instant.now();
        CanaryReleaseIT.command(ab, "abort", "bench");
        CanaryReleaseIT.awaitAllOn(before);
        rows.add(
                row(
                        "abort → all hosts on the old version (seen at the hosts)",
                        ms(abortAt, Instant.now()),
                        "—"));
        CanaryReleaseIT.awaitState(ab, Set.of("ABORTED"));
        Map<String, Long> cpuAfter = cpuTicks();
        double cpuWall = ms(pushed, Instant.now()) / 1000.0;
        load.close();

        // each hop split in two: ce_time → the producer's record timestamp (inside the service:
        // deciding, the outbox, serialising) and record timestamp → read (client, TLS, broker)
        List<Hop> hops = new ArrayList<>();
        for (var c : capture.records()) {
            c.event()
                    .filter(e -> !e.time().isBefore(pushed)) // history read at start is not latency
                    .ifPresent(
                            e -> {
                                Instant sent = Instant.ofEpochMilli(c.record().timestamp());
                                hops.add(
                                        new Hop(
                                                ms(e.time(), c.receivedAt()),
                                                ms(e.time(), sent),
                                                ms(sent, c.receivedAt()),
                                                e.type().type()
                                                        + " from "
                                                        + e.source()
                                                        + " on "
                                                        + c.record().topic()
                                                        + " (ce_time "
                                                        + e.time()
                                                        + ")"));
                            });
        }
        List<Long> total = hops.stream().map(Hop::total).toList();
        List<Long> inService = hops.stream().map(Hop::inService).toList();
        List<Long> onTheWire = hops.stream().map(Hop::onTheWire).toList();
        StringBuilder slowest = new StringBuilder("\nThe slowest hops, each split in two:\n\n");
        hops.stream()
                .sorted(java.util.Comparator.comparingLong(Hop::total).reversed())
                .limit(5)
                .forEach(
                        h ->
                                slowest.append(
                                        String.format(
                                                "- %d ms: %s; ce_time → sent %d ms, sent → read %d"
                                                        + " ms%n",
                                                h.total(),
                                                h.what(),
                                                h.inService(),
                                                h.onTheWire())));
        rows.add(
                row(
                        "event latency ce_time → read by a plain consumer, p50 ("
                                + hops.size()
                                + " events)",
                        percentile(total, 50),
                        "≤ 36"));
        rows.add(row("event latency p99", percentile(total, 99), "≤ 50"));
        rows.add(
                row(
                        "  of which ce_time → sent (record timestamp), p50 / p99",
                        percentile(inService, 50) + " / " + percentile(inService, 99),
                        "—"));
        rows.add(
                row(
                        "  of which sent → read (client, TLS, broker), p50 / p99",
                        percentile(onTheWire, 50) + " / " + percentile(onTheWire, 99),
                        "—"));
        rows.add(
                new String[] {
                    "requests served / dropped at the front end ("
                            + (rate > 0 ? "paced at " + rate + " req/s" : "flat out")
                            + ")",
                    load.ok() + " / " + load.dropped(),
                    "0 dropped"
                });
        for (String s : Suite.SERVICES) {
            rows.add(
                    new String[] {
                        s + " RSS (MB)", Long.toString(rssMb(CanaryReleaseIT.suite.pid(s))), "≤ 200"
                    });
        }

        // where the CPU went while the release and the abort above ran (each process alone, not its
        // children: a container's httpd is a child of containerd-shim, not of its engine)
        for (var e : cpuAfter.entrySet()) {
            long was = cpuBefore.getOrDefault(e.getKey(), 0L);
            rows.add(
                    row(
                            e.getKey()
                                    + " CPU seconds during the release and the abort ("
                                    + String.format(java.util.Locale.ROOT, "%.1f", cpuWall)
                                    + " s)",
                            String.format(
                                    java.util.Locale.ROOT, "%.2f", (e.getValue() - was) / 100.0),
                            "—"));
        }

        rows.addAll(baseline(id, rate));

        StringBuilder t = new StringBuilder();
        t.append("| measure | ms (or value) | target |\n| --- | --- | --- |\n");
        for (String[] r : rows) t.append("| ").append(String.join(" | ", r)).append(" |\n");
        String header =
                "\n## Release benchmark, "
                        + Instant.now()
                        + "\n\nMachine: "
                        + machine()
                        + "; releases "
                        + id
                        + " (promoted) and "
                        + ab
                        + " (aborted), after "
                        + Integer.getInteger("canary.bench.warmup", 1)
                        + " warm-up release(s) not measured; load average at the end "
                        + Files.readString(Path.of("/proc/loadavg")).trim()
                        + ".\n\n";
        t.append(slowest);
        System.out.println(header + t);
        Path doc = CanaryReleaseIT.suite.root.resolve("docs/benchmarks.md");
        if (!Files.exists(doc))
            Files.writeString(
                    doc,
                    "# Benchmarks\n\nFigures printed by the benchmarks in `bench/`, with the machine they ran on.\n");
        Files.writeString(doc, header + t, java.nio.file.StandardOpenOption.APPEND);
        System.exit(0);
    }

    static String[] row(String what, long ms, String target) {
        return row(what, Long.toString(ms), target);
    }

    static String[] row(String what, String figure, String target) {
        return new String[] {what, figure, target};
    }

    /** CPU clock ticks (utime + stime, 100 a second) of the suite's processes and this JVM. */
    static Map<String, Long> cpuTicks() throws IOException {
        Map<String, Long> ticks = new java.util.LinkedHashMap<>();
        List<String> components = new ArrayList<>(Suite.SERVICES);
        components.addAll(List.of("kafka", "haproxy", "docker0", "docker1", "docker2", "registry"));
        for (String c : components) {
            ticks.put(c, ticks(CanaryReleaseIT.suite.pid(c)));
        }
        ticks.put(
                "this bench (load generator, event capture)", ticks(ProcessHandle.current().pid()));
        return ticks;
    }

    static long ticks(long pid) {
        return MultiAppBench.ProcStat.of(pid).cpuTicks();
    }

    /** This machine for a table's header: cores, CPU model, memory ({@code /proc}). */
    static String machine() throws IOException {
        String model =
                Files.readString(Path.of("/proc/cpuinfo"))
                        .lines()
                        .filter(l -> l.startsWith("model name"))
                        .findFirst()
                        .orElse("?")
                        .replaceAll(".*: ", "");
        return Runtime.getRuntime().availableProcessors()
                + " cores ("
                + model
                + "), "
                + Files.readString(Path.of("/proc/meminfo"))
                        .lines()
                        .findFirst()
                        .orElse("")
                        .replaceAll("\\s+", " ");
    }

    static long rssMb(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024)
                .findFirst()
                .orElse(-1L);
    }
}
