package dev.canaryrelease.lb.messaging;

import java.net.SocketException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled.ConcurrentExecution;
import io.quarkus.scheduler.Scheduler;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.analysis.LatencyHistogram;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.AnalysisWindow;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.HaproxyLogReceiver;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.AnalysisWindows;
import dev.canaryrelease.lb.domain.ServerCounters;
import dev.canaryrelease.lb.domain.ServerKey;

/**
 * Publishes the analysis windows of live canaries. From a release's {@code canary.live} until it
 * leaves the phases a canary is watched in (CANARY_LIVE, and PROMOTING or PAUSED, where a host on
 * the new image that goes bad aborts the release), every {@code analysis.interval} of its app it
 * reads {@code show stat} on every HAProxy instance, takes the per-request times that came through
 * the log receiver for the app's backend, and publishes one {@code analysis.window}: the canary
 * servers (the hosts of {@code canary.live}) and every other server of the backend, with what could
 * not be read. Apps without an {@code analysis} block are not watched. One Quarkus scheduler job
 * per watched release.
 */
@ApplicationScoped
public class CanaryAnalysis {
    private static final Logger LOG = Logger.getLogger(CanaryAnalysis.class);

    /** The phases in which a release's servers are watched. */
    static final Set<Phase> WATCHED = Set.of(Phase.CANARY_LIVE, Phase.PROMOTING, Phase.PAUSED);

    private final Fleet fleet;
    private final LoadBalancerPool pool;
    private final EventPublisher publisher;
    private final Scheduler scheduler;
    private final int logPort;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();

    private HaproxyLogReceiver logs;
    private String logProblem;

    /** Log times that came in for backends being watched, not yet in a window. */
    private final Map<ServerKey, LatencyHistogram> pendingLatency = new HashMap<>();

    private long pendingUnreadable;

    public CanaryAnalysis(
            Fleet fleet,
            LoadBalancerPool pool,
            EventPublisher publisher,
            Scheduler scheduler,
            LbConfig config) {
        this.fleet = fleet;
        this.pool = pool;
        this.publisher = publisher;
        this.scheduler = scheduler;
        this.logPort = config.analysisLogPort();
    }

    void onStart(@Observes StartupEvent event) {
        if (fleet.apps().stream().noneMatch(a -> a.analysis().isPresent())) {
            return; // nothing is analysed: no port taken
        }
        try {
            logs = HaproxyLogReceiver.start(logPort);
            LOG.infof("HAProxy log receiver for the canary analysis on %s", logs.target());
        } catch (SocketException e) {
            logProblem =
                    "lb-service's HAProxy log receiver could not listen on 127.0.0.1:"
                            + logPort
                            + " ("
                            + e.getMessage()
                            + "): no latency";
            LOG.errorf("%s", logProblem);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        watches.keySet().forEach(this::stop);
        if (logs != null) logs.close();
    }

    /** The releases watched now (for tests and the pools view). */
    public Set<String> watched() {
        return Set.copyOf(watches.keySet());
    }

    /** {@code canary.live}: starts watching the release, if its app is analysed. */
    public void canaryLive(EventEnvelope<CanaryLive> cause) {
        CanaryLive live = cause.data();
        Optional<Fleet.App> app = fleet.app(live.app());
        if (app.isEmpty() || app.get().analysis().isEmpty()) return;
        if (watches.containsKey(live.releaseId())) return; // a redelivery
        Duration interval = app.get().analysis().get().interval();
        Watch w = new Watch(cause, app.get().backend(), Set.copyOf(live.hosts()), interval);
        watches.put(live.releaseId(), w);
        // the first run (at once) opens the first window: nothing blocks the caller (the event
        // loop) on HAProxy
        scheduler
                .newJob(jobId(live.releaseId()))
                .setInterval(interval.toString())
                .setConcurrentExecution(ConcurrentExecution.SKIP)
                .setTask(ex -> tick(live.releaseId()))
                .schedule();
        LOG.infof(
                "release %s: analysing canary %s against the rest of backend %s every %s",
                live.releaseId(), live.hosts(), w.backend, interval);
    }

    /** {@code release.phase-changed}: stops watching a release that left the watched phases. */
    public void phaseChanged(String releaseId, Phase phase) {
        if (!WATCHED.contains(phase) && watches.containsKey(releaseId)) {
            stop(releaseId);
            LOG.infof("release %s: %s, analysis ends", releaseId, phase);
        }
    }

    private void stop(String releaseId) {
        scheduler.unscheduleJob(jobId(releaseId));
        watches.remove(releaseId);
    }

    private static String jobId(String releaseId) {
        return "canary-analysis-" + releaseId;
    }

    /** Ends one window of the release and publishes it; the next one starts now. */
    void tick(String releaseId) {
        Watch w = watches.get(releaseId);
        if (w == null) return;
        try {
            AnalysisWindow window;
            synchronized (w) {
                Reading end = readCounters();
                Set<String> backends = new HashSet<>();
                watches.values().forEach(x -> backends.add(x.backend));
                Logged logged = latencyOf(w.backend, backends);
                if (w.startAt == null) {
                    w.begin(end); // what came before the first window is not part of it
                    return;
                }
                List<String> problems = new ArrayList<>(w.startProblems);
                problems.addAll(end.problems);
                if (logProblem != null) problems.add(logProblem);
                if (logged.unreadable() > 0) {
                    problems.add(
                            "HAProxy's log: " + logged.unreadable() + " lines could not be read");
                }
                AnalysisWindows.Window built =
                        AnalysisWindows.build(
                                w.backend,
                                w.canaryHosts,
                                w.start,
                                end.counters,
                                logged.latency(),
                                problems);
                w.index++;
                window =
                        new AnalysisWindow(
                                releaseId,
                                w.cause.data().app(),
                                w.index,
                                w.startAt,
                                end.at,
                                built.servers(),
                                built.problems());
                w.begin(end);
            }
            if (!watches.containsKey(releaseId)) return; // ended while reading
            publisher
                    .publish(w.cause, window)
                    .whenComplete(
                            (e, ex) -> {
                                if (ex != null) {
                                    LOG.errorf(
                                            "release %s: analysis window %d not published: %s",
                                            releaseId, window.index(), ex.getMessage());
                                }
                            });
        } catch (RuntimeException e) {
            LOG.errorf(e, "release %s: analysis window failed", releaseId);
        }
    }

    /** A backend's log times by server, and the lines of the log that could not be read. */
    private record Logged(Map<String, LatencyHistogram> latency, long unreadable) {}

    /**
     * The log times of {@code backend}'s servers since its last window, by server; keeps those of
     * the other watched backends for their windows and drops the rest.
     */
    private synchronized Logged latencyOf(String backend, Set<String> watchedBackends) {
        if (logs != null) {
            HaproxyLogReceiver.Taken t = logs.take();
            t.latency()
                    .forEach(
                            (k, h) -> {
                                if (watchedBackends.contains(k.backend())) {
                                    pendingLatency.merge(k, h, LatencyHistogram::plus);
                                }
                            });
            pendingUnreadable += t.unreadable();
        }
        Map<String, LatencyHistogram> out = new HashMap<>();
        pendingLatency
                .entrySet()
                .removeIf(
                        en -> {
                            if (!en.getKey().backend().equals(backend)) return false;
                            out.put(en.getKey().server(), en.getValue());
                            return true;
                        });
        // a line that could not be read names no backend: the next window is told
        long unreadable = pendingUnreadable;
        pendingUnreadable = 0;
        return new Logged(out, unreadable);
    }

    private Reading readCounters() {
        List<ServerCounters> counters = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (HaproxyInstance lb : pool.instances()) {
            try {
                counters.addAll(lb.counters());
            } catch (RuntimeException e) {
                problems.add(lb.name() + ": show stat failed: " + e.getMessage());
            }
        }
        return new Reading(Instant.now(), counters, problems);
    }

    private record Reading(Instant at, List<ServerCounters> counters, List<String> problems) {}

    /** One watched release: its backend, canary servers, and the open window. */
    private static final class Watch {
        final EventEnvelope<CanaryLive> cause;
        final String backend;
        final Set<String> canaryHosts;
        final Duration interval;
        int index;
        Instant startAt;
        List<ServerCounters> start = List.of();
        List<String> startProblems = List.of();

        Watch(
                EventEnvelope<CanaryLive> cause,
                String backend,
                Set<String> canaryHosts,
                Duration interval) {
            this.cause = cause;
            this.backend = backend;
            this.canaryHosts = canaryHosts;
            this.interval = interval;
        }

        void begin(Reading r) {
            startAt = r.at;
            start = r.counters;
            startProblems = r.problems.stream().map(p -> p + " (at the window's start)").toList();
        }
    }
}
