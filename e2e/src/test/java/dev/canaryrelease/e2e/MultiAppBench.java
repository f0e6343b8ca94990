package dev.canaryrelease.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * {@code bench/multi-app}: on the local suite with N apps ({@code dev/up --apps N}, default 20),
 * first one app's release alone (the baseline), then all N apps released at the same time, under
 * load spread over every app's backend (one paced client per app at the front end, by its Host
 * header). Checks that every release ends PROMOTED with no request dropped and that every host runs
 * every app's new version; prints per-release push → promoted times (p50/p95, beside the single
 * app's), where the time goes, and each service's peak RSS and CPU seconds, and appends the table
 * to docs/benchmarks.md. Leaves the suite up with its N apps.
 */
public final class MultiAppBench {
    private MultiAppBench() {}

    /** One release as the bench saw it: when its push began, its id, its end. */
    record Run(String app, Instant pushed, String id, String state, String problem) {}

    /** A service's counters from /proc: CPU ticks (utime + stime) and resident pages. */
    record ProcStat(long cpuTicks, long rssPages) {
        static ProcStat of(long pid) {
            try {
                String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
                // the fields after the command's ")" (it may hold spaces): state is field 3
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return new ProcStat(
                        Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[21]));
            } catch (IOException | RuntimeException e) {
                return new ProcStat(-1, -1);
            }
        }
    }

    /** Samples the six services' RSS every 200 ms; keeps each one's peak. */
    static final class Sampler implements AutoCloseable {
        final Map<String, Long> pids = new LinkedHashMap<>();
        final Map<String, Long> peakPages = new ConcurrentHashMap<>();
        final Map<String, Long> startTicks = new LinkedHashMap<>();
        final Thread thread;
        volatile boolean running = true;

        Sampler(Suite suite) {
            for (String s : Suite.SERVICES) {
                long pid = suite.pid(s);
                pids.put(s, pid);
                startTicks.put(s, ProcStat.of(pid).cpuTicks());
            }
            thread =
                    new Thread(
                            () -> {
                                while (running) {
                                    sample();
                                    try {
                                        Thread.sleep(200);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            },
                            "rss-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void sample() {
            pids.forEach((s, pid) -> peakPages.merge(s, ProcStat.of(pid).rssPages(), Math::max));
        }

        /** CPU seconds each service used since the sampler started. */
        Map<String, Double> cpuSeconds() {
            Map<String, Double> out = new LinkedHashMap<>();
            pids.forEach(
                    (s, pid) ->
                            out.put(s, (ProcStat.of(pid).cpuTicks() - startTicks.get(s)) / 100.0));
            return out;
        }

        long peakMb(String service) {
            return peakPages.getOrDefault(service, -1L) * 4096 / (1024 * 1024);
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            sample();
        }
    }

    static Instant at(String id, EventType type) {
        return CanaryReleaseIT.capture.events(id).stream()
                .filter(e -> e.type() == type)
                .map(EventEnvelope::time)
                .findFirst()
                .orElse(null);
    }

    static long ms(Instant a, Instant b) {
        return a == null || b == null ? -1 : Duration.between(a, b).toMillis();
    }

    /**
     * Pushes a change to {@code app}, waits for its canary, promotes it at once (as the release
     * bench does), waits for PROMOTED. The pushed instant is taken before dev/push-change starts.
     */
    static Run release(String app) {
        Instant pushed = Instant.now();
        String id = null;
        try {
            id = CanaryReleaseIT.suite.pushChange("--app", app);
            CanaryReleaseIT.awaitState(id, Set.of("CANARY_LIVE"));
            CanaryReleaseIT.command(id, "promote", "bench/multi-app");
            CanaryReleaseIT.awaitState(id, Set.of("PROMOTED"));
            return new Run(app, pushed, id, "PROMOTED", null);
        } catch (Throwable t) {
            String state = id == null ? "not pushed" : CanaryReleaseIT.stateOnceKnown(id);
            return new Run(app, pushed, id, state, t.getMessage());
        }
    }

    /** push → release.promoted of a run, in ms. */
    static long total(Run r) {
        return ms(r.pushed(), at(r.id(), EventType.RELEASE_PROMOTED));
    }

    /** The p50 / p95 / max of {@code f} over the runs, skipping runs without the figure. */
    static String spread(List<Run> runs, Function<Run, Long> f) {
        List<Long> v = runs.stream().map(f).filter(x -> x >= 0).toList();
        if (v.isEmpty()) return "—";
        return ReleaseBench.percentile(v, 50)
                + " / "
                + ReleaseBench.percentile(v, 95)
                + " / "
                + ReleaseBench.percentile(v, 100);
    }

    /** The breakdown of one release's time: the same rows for the single app and the N apps. */
    static List<Function<Run, Long>> steps() {
        return List.of(
                r -> ms(r.pushed(), at(r.id(), EventType.BUILD_REQUESTED)),
                r -> ms(at(r.id(), EventType.BUILD_REQUESTED), at(r.id(), EventType.BUILD_STARTED)),
                r -> ms(at(r.id(), EventType.BUILD_STARTED), at(r.id(), EventType.BUILD_SUCCEEDED)),
                r -> ms(at(r.id(), EventType.BUILD_SUCCEEDED), at(r.id(), EventType.IMAGE_PUSHED)),
                r -> ms(at(r.id(), EventType.IMAGE_PUSHED), at(r.id(), EventType.CANARY_LIVE)),
                r ->
                        ms(
                                at(r.id(), EventType.CANARY_LIVE),
                                at(r.id(), EventType.PROMOTION_REQUESTED)),
                r ->
                        ms(
                                at(r.id(), EventType.PROMOTION_REQUESTED),
                                at(r.id(), EventType.RELEASE_PROMOTED)));
    }

    static final List<String> STEP_NAMES =
            List.of(
                    "dev/push-change → build.requested (git commit+push, the webhook)",
                    "build.requested → build.started (build-service's queue)",
                    "build.started → build.succeeded (clone, build, push)",
                    "build.succeeded → image.pushed (registry-service)",
                    "image.pushed → canary.live (drain, swap, enable of the canary)",
                    "canary.live → promotion.requested (seen by polling the gateway, promote sent)",
                    "promotion.requested → release.promoted (the other hosts)");

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(System.getenv().getOrDefault("CANARY_DEV_APPS", "20"));
        int rate = Integer.getInteger("canary.bench.rate", 200);
        String load0 = Files.readString(Path.of("/proc/loadavg")).trim();
        Suite suite = Suite.get(n);
        CanaryReleaseIT.up();
        Fleet fleet = CanaryReleaseIT.fleet;
        List<String> apps = suite.apps();
        if (apps.size() != n) throw new IllegalStateException("dev/up runs " + apps + ", not " + n);
        String url = suite.env("APP_URL") + "/";
        // one paced client per app at the front end, by the app's Host header: the load is spread
        // over every app's backend
        int perApp = Math.max(2, rate / n);
        List<LoadLoop> loads = new ArrayList<>();
        for (String a : apps) {
            loads.add(
                    LoadLoop.paced(
                            url,
                            a.equals(suite.env("EXAMPLE_APP")) ? null : a,
                            1,
                            perApp,
                            Duration.ofMinutes(30),
                            MultiAppIT::app));
        }
        List<String[]> rows = new ArrayList<>();
        boolean ok = true;

        // the baseline: one app's release alone, under the same load
        Run single;
        Map<String, Double> singleCpu;
        try (Sampler s = new Sampler(suite)) {
            single = release(apps.get(0));
            singleCpu = s.cpuSeconds();
        }

        // all N at once: every push starts together, each release promoted as soon as it is live
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Run> runs = new ArrayList<>();
        Instant start = Instant.now();
        Map<String, Double> cpu;
        Sampler sampler = new Sampler(suite);
        try (sampler) {
            List<Future<Run>> fs = new ArrayList<>();
            for (String a : apps) fs.add(pool.submit(() -> release(a)));
            for (Future<Run> f : fs) runs.add(f.get());
            cpu = sampler.cpuSeconds();
        }
        pool.shutdown();
        long wall = Duration.between(start, Instant.now()).toMillis();

        // every host runs every app's new version
        List<String> notOnNew = new ArrayList<>();
        for (Run r : runs) {
            if (!"PROMOTED".equals(r.state())) continue;
            Fleet.App app = fleet.app(r.app()).orElseThrow();
            String canary =
                    MultiAppIT.page(fleet.host(CanaryReleaseIT.canary()).orElseThrow(), app.port());
            for (Fleet.Host h : fleet.dockerHosts()) {
                String p = MultiAppIT.page(h, app.port());
                if (!p.equals(canary) || p.startsWith("v1 ")) {
                    notOnNew.add(h.name() + "/" + r.app() + ": " + p + " (canary " + canary + ")");
                }
            }
        }
        for (LoadLoop l : loads) l.close();
        long served = loads.stream().mapToLong(LoadLoop::ok).sum();
        long dropped = loads.stream().mapToLong(LoadLoop::dropped).sum();

        List<Run> failed = runs.stream().filter(r -> !"PROMOTED".equals(r.state())).toList();
        if (!"PROMOTED".equals(single.state()) || !failed.isEmpty() || dropped > 0) ok = false;
        if (!notOnNew.isEmpty()) ok = false;

        long singleMs = total(single);
        List<Run> promoted = runs.stream().filter(r -> "PROMOTED".equals(r.state())).toList();
        List<Long> totals = promoted.stream().map(MultiAppBench::total).toList();
        long p95 = totals.isEmpty() ? -1 : ReleaseBench.percentile(totals, 95);
        rows.add(
                ReleaseBench.row(
                        "one app alone: push → release.promoted (" + single.id() + ")",
                        singleMs,
                        "—"));
        rows.add(
                ReleaseBench.row(
                        n + " apps at once: push → release.promoted, p50 / p95 / max",
                        spread(promoted, MultiAppBench::total),
                        "p95 ≤ " + 2 * singleMs));
        rows.add(
                new String[] {
                    "p95 of the " + n + " / the one app alone",
                    singleMs > 0 && p95 > 0
                            ? String.format(Locale.ROOT, "%.2f", p95 / (double) singleMs)
                            : "—",
                    "≤ 2"
                });
        rows.add(
                ReleaseBench.row(
                        "all " + n + " pushes → the last release.promoted (wall)", wall, "—"));
        rows.add(
                new String[] {
                    "releases PROMOTED",
                    promoted.size()
                            + " of "
                            + n
                            + (failed.isEmpty()
                                    ? ""
                                    : "; not: "
                                            + failed.stream()
                                                    .map(r -> r.app() + " " + r.state())
                                                    .toList()),
                    "all"
                });
        rows.add(
                new String[] {
                    "hosts × apps not on the new version",
                    notOnNew.isEmpty() ? "0" : notOnNew.size() + ": " + notOnNew,
                    "0"
                });
        List<Function<Run, Long>> steps = steps();
        for (int i = 0; i < steps.size(); i++) {
            rows.add(
                    new String[] {
                        "  " + STEP_NAMES.get(i) + ": alone; " + n + " at once p50 / p95 / max",
                        steps.get(i).apply(single) + "; " + spread(promoted, steps.get(i)),
                        "—"
                    });
        }
        rows.add(
                new String[] {
                    "requests served / dropped at the front end ("
                            + n
                            + " backends, "
                            + perApp
                            + " req/s each, by Host header)",
                    served + " / " + dropped,
                    "0 dropped"
                });
        for (String s : Suite.SERVICES) {
            rows.add(
                    new String[] {
                        s + ": peak RSS MB over the " + n + " releases; CPU s alone / " + n,
                        sampler.peakMb(s)
                                + "; "
                                + String.format(
                                        Locale.ROOT, "%.1f / %.1f", singleCpu.get(s), cpu.get(s)),
                        "RSS ≤ 180"
                    });
        }

        StringBuilder t = new StringBuilder();
        t.append("| measure | ms (or value) | target |\n| --- | --- | --- |\n");
        for (String[] r : rows) t.append("| ").append(String.join(" | ", r)).append(" |\n");
        for (Run r : runs) {
            if (r.problem() != null) {
                t.append("\n- ")
                        .append(r.app())
                        .append(" (")
                        .append(r.id())
                        .append("): ")
                        .append(r.problem().lines().findFirst().orElse(""));
            }
        }
        String header =
                "\n## Many apps at once (bench/multi-app), "
                        + Instant.now()
                        + "\n\nMachine: "
                        + ReleaseBench.machine()
                        + "; "
                        + n
                        + " apps (dev/up --apps "
                        + n
                        + "), each its own repository, container and port on the 3 engines and"
                        + " HAProxy backend; load average at the start "
                        + load0
                        + ", at the end "
                        + Files.readString(Path.of("/proc/loadavg")).trim()
                        + "."
                        + (ok ? "" : " **A check failed** (see the table).")
                        + "\n\n";
        System.out.println(header + t);
        Path doc = suite.root.resolve("docs/benchmarks.md");
        Files.writeString(doc, header + t + "\n", java.nio.file.StandardOpenOption.APPEND);
        System.exit(ok ? 0 : 1);
    }
}
