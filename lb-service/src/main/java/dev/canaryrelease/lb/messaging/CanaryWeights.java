package dev.canaryrelease.lb.messaging;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryShareServed;
import dev.canaryrelease.events.model.CanaryWeightRequested;
import dev.canaryrelease.events.model.CanaryWeightSet;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.LoadBalancerException;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.domain.ServedShare;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedWeight;
import dev.canaryrelease.lb.domain.WeightPlan;

/**
 * Weighted canaries (issue 17, point 1). {@code canary.weight-requested} sets the server weights of
 * the app's backend on every HAProxy instance ({@link WeightPlan}: the canary's share of the
 * traffic) and answers {@code canary.weight-set}; the weights are kept as wanted weights, which the
 * reconciler puts back after a reload and the snapshot keeps. From the step's weights with the
 * canary live ({@code canary.live}, or a later step) until the next step, or until the release
 * leaves CANARY_LIVE, it counts every server's {@code stot} and publishes {@code
 * canary.share-served}: the share the canary actually served. A {@code release.phase-changed} to
 * any phase but CANARY_UPDATING and CANARY_LIVE (promotion, abort, failure, supersede) puts the
 * configured weights back ({@code canary.weight-set} step 0) on the servers whose wanted weight is
 * the release's. All of it runs on one thread ({@code lb-weights}) in the order of {@code
 * deploy.events}, after the start-up replay; the record is acknowledged once the answer is
 * published. A restart forgets the step being measured (its served share is not reported), not the
 * weights.
 */
@ApplicationScoped
public class CanaryWeights {
    private static final Logger LOG = Logger.getLogger(CanaryWeights.class);

    private final Fleet fleet;
    private final LoadBalancerPool pool;
    private final WantedStates wanted;
    private final EventPublisher publisher;
    private final LbReplay replay;
    private final ExecutorService worker =
            Executors.newSingleThreadExecutor(
                    r -> {
                        Thread t = new Thread(r, "lb-weights");
                        t.setDaemon(true);
                        return t;
                    });

    /** The weighted step of each release, while it lasts (touched on the worker only). */
    private final Map<String, Step> steps = new HashMap<>();

    /** Releases whose canary is live (touched on the worker only). */
    private final Set<String> live = new HashSet<>();

    public CanaryWeights(
            Fleet fleet,
            LoadBalancerPool pool,
            WantedStates wanted,
            EventPublisher publisher,
            LbReplay replay) {
        this.fleet = fleet;
        this.pool = pool;
        this.wanted = wanted;
        this.publisher = publisher;
        this.replay = replay;
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
    }

    /** {@code canary.weight-requested}: sets the step's weights. */
    public CompletionStage<Void> requested(EventEnvelope<CanaryWeightRequested> e) {
        return later(() -> step(e));
    }

    /** {@code canary.live}: the step's served share is counted from now. */
    public CompletionStage<Void> canaryLive(EventEnvelope<? extends CanaryEvent> e) {
        return later(
                () -> {
                    live.add(e.releaseId());
                    Step s = steps.get(e.releaseId());
                    if (s != null && s.start == null) s.begin(readSessions(s.backend));
                    return CompletableFuture.completedFuture(null);
                });
    }

    /** {@code release.phase-changed}: out of the canary, the configured weights come back. */
    public CompletionStage<Void> phaseChanged(EventEnvelope<ReleasePhaseChanged> e) {
        Phase phase = e.data().phase();
        if (phase == Phase.CANARY_UPDATING || phase == Phase.CANARY_LIVE) {
            return CompletableFuture.completedFuture(null);
        }
        return later(() -> reset(e));
    }

    private CompletionStage<Void> later(java.util.function.Supplier<CompletionStage<?>> work) {
        return CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                replay.await();
                            } catch (InterruptedException ie) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException(ie);
                            }
                            return work.get();
                        },
                        worker)
                .thenCompose(stage -> stage.thenApply(x -> (Void) null));
    }

    private CompletionStage<?> step(EventEnvelope<CanaryWeightRequested> e) {
        CanaryWeightRequested r = e.data();
        Optional<Fleet.App> app = fleet.app(r.app());
        if (app.isEmpty()) {
            LOG.warnf(
                    "release %s: weights for app '%s', which the fleet has not",
                    r.releaseId(), r.app());
            return CompletableFuture.completedFuture(null);
        }
        String backend = app.get().backend();
        WeightPlan.Plan plan;
        try {
            Set<String> servers = new TreeSet<>();
            pool.backend(backend).stream().map(ServerView::server).forEach(servers::add);
            plan = WeightPlan.plan(r.share(), r.hosts(), servers);
        } catch (IllegalArgumentException | LoadBalancerException ex) {
            LOG.errorf(
                    "release %s: weighted step %d (%s of backend %s) not set: %s",
                    r.releaseId(), r.step(), percent(r.share()), backend, ex.getMessage());
            return CompletableFuture.completedFuture(null);
        }
        List<CompletionStage<?>> published = new ArrayList<>();
        published.add(endStep(r.releaseId(), e));
        Instant now = Instant.now();
        set(backend, plan.weights(), now, r.releaseId());
        LOG.infof(
                "release %s: weighted step %d of %d, canary %s at %s of backend %s (weights %s)",
                r.releaseId(),
                r.step(),
                r.steps(),
                r.hosts(),
                percent(plan.share()),
                backend,
                new java.util.TreeMap<>(plan.weights()));
        published.add(
                publisher.publish(
                        e,
                        new CanaryWeightSet(
                                r.releaseId(),
                                r.app(),
                                backend,
                                r.step(),
                                r.share(),
                                plan.share(),
                                plan.weights(),
                                null)));
        Step s = new Step(r.app(), backend, Set.copyOf(r.hosts()), r.step(), r.share());
        steps.put(r.releaseId(), s);
        if (live.contains(r.releaseId())) s.begin(readSessions(backend));
        return CompletableFuture.allOf(
                published.stream()
                        .map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture[]::new));
    }

    private CompletionStage<?> reset(EventEnvelope<ReleasePhaseChanged> e) {
        String id = e.releaseId();
        live.remove(id);
        List<CompletionStage<?>> published = new ArrayList<>();
        published.add(endStep(id, e));
        Map<String, Map<String, Integer>> byBackend = new LinkedHashMap<>();
        wanted.weights()
                .forEach(
                        (k, w) -> {
                            if (id.equals(w.releaseId()) && !w.configured()) {
                                byBackend
                                        .computeIfAbsent(
                                                k.backend(), b -> new java.util.TreeMap<>())
                                        .put(k.server(), WantedWeight.CONFIGURED);
                            }
                        });
        Instant now = Instant.now();
        String reason = "the release is " + e.data().phase() + ": the configured weights are back";
        for (Map.Entry<String, Map<String, Integer>> b : byBackend.entrySet()) {
            set(b.getKey(), b.getValue(), now, id);
            Map<String, Integer> configured = configured(b.getKey(), b.getValue().keySet());
            LOG.infof(
                    "release %s: %s, backend %s back to its configured weights %s",
                    id, e.data().phase(), b.getKey(), configured);
            published.add(
                    publisher.publish(
                            e,
                            new CanaryWeightSet(
                                    id,
                                    e.data().app(),
                                    b.getKey(),
                                    0,
                                    null,
                                    WeightPlan.shareOf(configured, fleet.rollout().canary()),
                                    configured,
                                    reason)));
        }
        return CompletableFuture.allOf(
                published.stream()
                        .map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture[]::new));
    }

    /**
     * Keeps {@code weights} as the wanted weights and sets them on every instance; an instance that
     * fails is put right by the reconciler once it answers.
     */
    private void set(String backend, Map<String, Integer> weights, Instant at, String releaseId) {
        List<ReentrantLock> locks = new ArrayList<>();
        try {
            for (String server : new TreeSet<>(weights.keySet())) {
                ServerKey k = new ServerKey(backend, server);
                ReentrantLock l = wanted.command(k);
                l.lock();
                locks.add(l);
                wanted.applyWeight(k, new WantedWeight(weights.get(server), at, releaseId));
            }
            pool.setWeights(backend, weights);
        } catch (LoadBalancerException ex) {
            LOG.errorf(
                    "release %s: weights of backend %s not set everywhere (reconciliation will"
                            + " try again): %s",
                    releaseId, backend, ex.getMessage());
        } finally {
            locks.forEach(ReentrantLock::unlock);
        }
    }

    /** The configured weight of each of {@code servers} (from the first instance that answers). */
    private Map<String, Integer> configured(String backend, Set<String> servers) {
        for (HaproxyInstance lb : pool.instances()) {
            try {
                Map<String, Integer> out = new java.util.TreeMap<>();
                lb.weights()
                        .forEach(
                                (k, w) -> {
                                    if (k.backend().equals(backend)
                                            && servers.contains(k.server())) {
                                        out.put(k.server(), w.configured());
                                    }
                                });
                return out;
            } catch (LoadBalancerException ex) {
                // the next instance
            }
        }
        return Map.of();
    }

    /** Ends the release's step being counted, if any, and publishes the share it served. */
    private CompletionStage<?> endStep(String releaseId, EventEnvelope<?> cause) {
        Step s = steps.remove(releaseId);
        if (s == null || s.start == null) {
            return CompletableFuture.completedFuture(null);
        }
        Sessions read = readSessions(s.backend);
        Instant end = read.at();
        ServedShare.Served served = ServedShare.between(s.start, read.readings(), s.canaryHosts);
        List<String> problems = new ArrayList<>(s.startProblems);
        problems.addAll(read.problems());
        problems.addAll(served.problems());
        LOG.infof(
                "release %s: weighted step %d served %s of backend %s (wanted %s): %d of %d"
                        + " sessions%s",
                releaseId,
                s.step,
                served.share() < 0 ? "nothing" : percent(served.share()),
                s.backend,
                percent(s.wanted),
                served.canary(),
                served.all(),
                problems.isEmpty() ? "" : "; " + problems);
        return publisher.publish(
                cause,
                new CanaryShareServed(
                        releaseId,
                        s.app,
                        s.step,
                        s.wanted,
                        served.share(),
                        served.canary(),
                        served.all(),
                        s.startAt,
                        end,
                        problems));
    }

    private Sessions readSessions(String backend) {
        List<ServedShare.Reading> readings = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (HaproxyInstance lb : pool.instances()) {
            try {
                readings.add(lb.sessions(backend));
            } catch (LoadBalancerException ex) {
                problems.add(lb.name() + ": show stat failed: " + ex.getMessage());
            }
        }
        return new Sessions(Instant.now(), readings, problems);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", share * 100);
    }

    private record Sessions(
            Instant at, List<ServedShare.Reading> readings, List<String> problems) {}

    /** One weighted step of a release and, once its canary is live, where its counting began. */
    private static final class Step {
        final String app;
        final String backend;
        final Set<String> canaryHosts;
        final int step;
        final double wanted;
        Instant startAt;
        List<ServedShare.Reading> start;
        List<String> startProblems = List.of();

        Step(String app, String backend, Set<String> canaryHosts, int step, double wanted) {
            this.app = app;
            this.backend = backend;
            this.canaryHosts = canaryHosts;
            this.step = step;
            this.wanted = wanted;
        }

        void begin(Sessions s) {
            startAt = s.at();
            start = s.readings();
            startProblems = s.problems().stream().map(p -> p + " (at the step's start)").toList();
        }
    }
}
