package dev.canaryrelease.builder.messaging;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.builder.config.BuildConfig;
import dev.canaryrelease.builder.domain.BuildFailure;
import dev.canaryrelease.builder.domain.BuildLog;
import dev.canaryrelease.builder.domain.BuildRecord;
import dev.canaryrelease.builder.domain.BuildStatus;
import dev.canaryrelease.builder.domain.BuildStore;
import dev.canaryrelease.builder.domain.Cancellation;
import dev.canaryrelease.builder.domain.Reasons;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.fleet.Fleet;

/**
 * The builds waiting and running: a bounded pool ({@code canary.build.pool-size}); one active build
 * per app (a newer request cancels the older one with reason {@code superseded}); a deadline per
 * build; the record of each build kept by {@link BuildStore} so a redelivered request re-emits its
 * result and a restart resumes what was queued or running.
 */
@ApplicationScoped
public class BuildQueue {
    private static final Logger LOG = Logger.getLogger(BuildQueue.class);

    private final Fleet fleet;
    private final BuildConfig config;
    private final BuildStore store;
    private final BuildRunner runner;
    private final EventPublisher publisher;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timer;
    private final Map<String, Job> active = new ConcurrentHashMap<>();
    private final Map<String, Job> latestByApp = new HashMap<>();
    private final Map<CompletableFuture<?>, Integer> publishing = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public BuildQueue(
            Fleet fleet,
            BuildConfig config,
            BuildStore store,
            BuildRunner runner,
            EventPublisher publisher) {
        this.fleet = fleet;
        this.config = config;
        this.store = store;
        this.runner = runner;
        this.publisher = publisher;
        int size = Math.max(1, config.build().poolSize());
        AtomicInteger n = new AtomicInteger();
        this.pool =
                new ThreadPoolExecutor(
                        size,
                        size,
                        0,
                        TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(),
                        r -> {
                            Thread t = new Thread(r, "build-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
        this.timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "build-deadlines");
                            t.setDaemon(true);
                            return t;
                        });
    }

    /**
     * Forgets the builds a previous run left queued or running: their {@code build.requested} had
     * no outcome, so its offset was not committed, and Kafka gives it again to the instance that
     * owns its partition now (this one or another), which builds it. Resuming them here would build
     * apps of partitions another instance may own.
     */
    void onStart(@Observes StartupEvent ev) {
        for (BuildRecord r : store.unfinished()) {
            LOG.infof(
                    "release %s: left %s by an earlier run; its request is read again from Kafka"
                            + " by the owner of its partition",
                    r.releaseId(), r.status());
            store.forget(r.releaseId());
        }
    }

    /**
     * The partitions {@code partitions} were taken from this instance: their builds, queued or
     * running, stop without an outcome (their records are forgotten, so a later request of the same
     * release is built again); returns the outcomes of those partitions still being published.
     */
    public synchronized List<CompletableFuture<?>> revoke(Set<Integer> partitions) {
        for (Job j : List.copyOf(active.values())) {
            if (partitions.contains(j.delivery.partition()) && j.revoke()) {
                active.remove(j.id());
                latestByApp.remove(j.app.name(), j);
                store.forget(j.id());
                LOG.infof(
                        "release %s: partition %d revoked, build of %s stopped without an outcome"
                                + " (the partition's new owner builds it)",
                        j.id(), j.delivery.partition(), j.app.name());
            }
        }
        List<CompletableFuture<?>> out = new ArrayList<>();
        publishing.forEach(
                (f, p) -> {
                    if (partitions.contains(p)) {
                        out.add(f);
                    }
                });
        return out;
    }

    @PreDestroy
    void stop() {
        stopping = true;
        for (Job j : active.values()) {
            j.cancel.cancel("service stopping");
        }
        pool.shutdownNow();
        timer.shutdownNow();
    }

    /** The scheduler used for deadlines, shared with log followers. */
    public ScheduledExecutorService timer() {
        return timer;
    }

    /** True while the build of {@code releaseId} is queued or running in this process. */
    public boolean active(String releaseId) {
        return active.containsKey(releaseId);
    }

    /**
     * Accepts a {@code build.requested}. A release already built gets its result re-emitted; one
     * already queued or running is left alone. The stage completes once the request is recorded
     * (and any immediate event acknowledged by Kafka).
     */
    public synchronized CompletionStage<Void> submit(BuildRequested req, String causeId) {
        return submit(req, causeId, PartitionOwnership.Delivery.NONE);
    }

    /**
     * As {@link #submit(BuildRequested, String)}, for a record read from Kafka: {@code delivery} is
     * done once the request's outcome is acknowledged by Kafka.
     */
    public synchronized CompletionStage<Void> submit(
            BuildRequested req, String causeId, PartitionOwnership.Delivery delivery) {
        if (!BuildStore.safeId(req.releaseId())) {
            throw new IllegalArgumentException(
                    "release id '" + req.releaseId() + "' is not a safe identifier");
        }
        Optional<BuildRecord> known = store.get(req.releaseId());
        if (known.isPresent()) {
            BuildRecord r = known.get();
            if (r.status().terminal()) {
                LOG.infof(
                        "release %s: already built (%s), re-emitting its result",
                        r.releaseId(), r.status());
                return publish(emit(r.result(), causeId), delivery);
            }
            Job running = active.get(r.releaseId());
            if (running != null) {
                if (running.alsoAnswers(delivery)) {
                    LOG.infof(
                            "release %s: build already %s, request ignored",
                            r.releaseId(), r.status());
                    return CompletableFuture.completedFuture(null);
                }
                // it ended meanwhile: its record says how
                return submit(req, causeId, delivery);
            }
        }
        BuildRecord rec =
                BuildRecord.queued(req, causeId, Instant.now(), logLocation(req.releaseId()));
        store.save(rec);
        Optional<Fleet.App> app = appOf(req);
        if (app.isEmpty()) {
            return finishNow(rec, unknownApp(req), delivery);
        }
        LOG.infof(
                "release %s: build of %s at %s queued",
                req.releaseId(), app.get().name(), BuildRunner.tagOf(req.commitSha()));
        enqueue(rec, app.get(), delivery);
        return CompletableFuture.completedFuture(null);
    }

    /**
     * The fleet's app of a request: by name, else by repository. A request whose repository is not
     * the named app's is no app of the fleet: the build always uses the fleet's repository and
     * never the request's clone URL, so a forged request cannot name another source.
     */
    private Optional<Fleet.App> appOf(BuildRequested req) {
        Optional<Fleet.App> app = req.app() == null ? Optional.empty() : fleet.app(req.app());
        if (app.isPresent()) {
            return req.repository() == null
                            || app.get().repository().equalsIgnoreCase(req.repository())
                    ? app
                    : Optional.empty();
        }
        return req.repository() == null ? app : fleet.appForRepository(req.repository());
    }

    private String unknownApp(BuildRequested req) {
        Optional<Fleet.App> named = req.app() == null ? Optional.empty() : fleet.app(req.app());
        if (named.isPresent()) {
            return Reasons.of(
                    Reasons.UNKNOWN_APP,
                    "app '"
                            + req.app()
                            + "' builds "
                            + named.get().repository()
                            + ", not "
                            + req.repository());
        }
        return Reasons.of(
                Reasons.UNKNOWN_APP,
                "'" + req.app() + "' (" + req.repository() + ") is not in the fleet's apps");
    }

    private void enqueue(BuildRecord rec, Fleet.App app, PartitionOwnership.Delivery delivery) {
        Job job = new Job(rec, app, delivery);
        active.put(rec.releaseId(), job);
        Job previous = latestByApp.put(app.name(), job);
        if (previous != null) {
            previous.supersede(rec.releaseId());
        }
        pool.execute(job);
    }

    private CompletionStage<Void> finishNow(
            BuildRecord rec, String reason, PartitionOwnership.Delivery delivery) {
        BuildRecord done = rec.failed(Instant.now(), reason);
        store.save(done);
        try (BuildLog log = BuildLog.open(store.logFile(rec.releaseId()))) {
            log.line("build failed: " + reason);
        }
        LOG.warnf("release %s: build failed: %s", rec.releaseId(), reason);
        return publish(emit(done.result(), rec.causeId()), delivery);
    }

    /**
     * Marks the deliveries done once the outcome is on Kafka (until then it is one of the outcomes
     * a revocation waits for); a failed publish leaves them not done, so the offset is not
     * committed past them and the request is read again by the next owner.
     */
    private CompletionStage<Void> publish(
            CompletionStage<?> outcome, PartitionOwnership.Delivery... deliveries) {
        CompletableFuture<?> f = outcome.toCompletableFuture();
        int partition = deliveries.length == 0 ? -1 : deliveries[0].partition();
        publishing.put(f, partition);
        return f.whenComplete(
                        (ok, err) -> {
                            publishing.remove(f);
                            if (err == null) {
                                for (PartitionOwnership.Delivery d : deliveries) {
                                    d.done().run();
                                }
                            }
                        })
                .thenApply(x -> null);
    }

    private String logLocation(String releaseId) {
        String path = "/builds/" + releaseId + "/log";
        return config.build().publicUrl().map(u -> u.replaceAll("/+$", "") + path).orElse(path);
    }

    private CompletionStage<EventEnvelope<CanaryEvent>> emit(CanaryEvent data, String causeId) {
        EventEnvelope<CanaryEvent> e =
                new EventEnvelope<>(
                        UUID.randomUUID().toString(),
                        EventType.of(data),
                        publisher.source(),
                        data.releaseId(),
                        Instant.now().truncatedTo(ChronoUnit.MICROS),
                        causeId,
                        data);
        return publisher
                .send(e)
                .whenComplete(
                        (ok, err) -> {
                            if (err != null) {
                                LOG.errorf(err, "release %s: cannot publish %s", e.releaseId(), e);
                            }
                        })
                .thenApply(x -> e);
    }

    static String human(Duration d) {
        if (d.toSeconds() % 60 == 0 && d.toMinutes() > 0) {
            return d.toMinutes() + "m";
        }
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /**
     * One build in the queue or running. It ends once ({@link #finish}): from its worker when the
     * build returns, or at once from whoever cancels it (a newer build of the app, the deadline),
     * so a step that hangs cannot hold the result back; the worker then only cleans up.
     */
    private final class Job implements Runnable {
        final Cancellation cancel = new Cancellation();
        final Fleet.App app;
        final PartitionOwnership.Delivery delivery;
        final List<PartitionOwnership.Delivery> redelivered = new ArrayList<>();
        BuildRecord rec;
        boolean started;
        boolean finished;

        Job(BuildRecord rec, Fleet.App app, PartitionOwnership.Delivery delivery) {
            this.rec = rec;
            this.app = app;
            this.delivery = delivery;
        }

        /** A redelivery of this build's request: done with it; false if it has ended already. */
        synchronized boolean alsoAnswers(PartitionOwnership.Delivery d) {
            if (finished) {
                return false;
            }
            redelivered.add(d);
            return true;
        }

        /**
         * Its partition was revoked: it ends without an outcome (the new owner builds it); false if
         * it had ended already.
         */
        boolean revoke() {
            synchronized (this) {
                if (finished) {
                    return false;
                }
                finished = true;
            }
            cancel.cancel("partition revoked");
            appendLog(
                    "partition "
                            + delivery.partition()
                            + " revoked: build stopped here, its new owner builds it");
            return true;
        }

        String id() {
            return rec.releaseId();
        }

        /** A newer build of the same app was queued: stop this one. */
        void supersede(String newer) {
            stopWith(Reasons.SUPERSEDED, "superseded by release " + newer);
        }

        void stopWith(String reason, String logLine) {
            if (!cancel.cancel(reason)) {
                return;
            }
            appendLog(logLine);
            finish(rec.failed(Instant.now(), reason));
        }

        private void appendLog(String line) {
            try (BuildLog log = BuildLog.open(store.logFile(id()))) {
                log.line(line);
            }
        }

        /** Records and reports the end of the build; false if it had already ended. */
        boolean finish(BuildRecord done) {
            synchronized (this) {
                if (finished || stopping) {
                    return false;
                }
                finished = true;
                store.save(done);
                List<PartitionOwnership.Delivery> answered = new ArrayList<>(redelivered);
                answered.add(0, delivery);
                publish(
                        emit(done.result(), done.causeId()),
                        answered.toArray(PartitionOwnership.Delivery[]::new));
            }
            synchronized (BuildQueue.this) {
                active.remove(id());
                latestByApp.remove(app.name(), this);
            }
            if (done.status() == BuildStatus.SUCCEEDED) {
                LOG.infof(
                        "release %s: built and pushed %s:%s (%s) in %d ms",
                        id(), done.image(), done.tag(), done.digest(), done.durationMs());
            } else {
                LOG.warnf(
                        "release %s: build failed after %d ms: %s",
                        id(), done.durationMs(), firstLine(done.reason()));
            }
            return true;
        }

        @Override
        public void run() {
            BuildRequested req = rec.request();
            synchronized (this) {
                if (finished || cancel.cancelled()) {
                    return;
                }
                started = true;
                rec = rec.running(Instant.now());
                store.save(rec);
                emit(
                        new BuildStarted(id(), req.app(), req.commitSha(), rec.logLocation()),
                        rec.causeId());
            }
            Duration deadline = app.build().deadline().orElse(config.build().deadline());
            String setting =
                    app.build().deadline().isPresent()
                            ? "fleet: apps." + app.name() + ".build.deadline"
                            : "canary.build.deadline";
            ScheduledFuture<?> timeLimit =
                    timer.schedule(
                            () ->
                                    stopWith(
                                            Reasons.of(
                                                    Reasons.TIMEOUT,
                                                    "the build ran longer than its deadline of "
                                                            + human(deadline)
                                                            + " and was stopped ("
                                                            + setting
                                                            + ")"),
                                            "deadline of "
                                                    + human(deadline)
                                                    + " reached: stopping"),
                            deadline.toMillis(),
                            TimeUnit.MILLISECONDS);
            Path ws = store.workspace(id());
            BuildRecord done;
            try (BuildLog log = BuildLog.open(store.logFile(id()))) {
                try {
                    BuildStore.deleteTree(ws);
                    BuildRunner.Result r = runner.run(req, app, ws, log, cancel);
                    cancel.check();
                    done = rec.succeeded(Instant.now(), r.image(), r.tag(), r.digest());
                    log.linef("build succeeded: %s@%s", r.image(), r.digest());
                } catch (BuildFailure f) {
                    String reason = cancel.cancelled() ? cancel.reason() : f.reason();
                    done = rec.failed(Instant.now(), reason);
                    if (!cancel.cancelled()) {
                        log.line("build failed: " + reason);
                    }
                } catch (RuntimeException e) {
                    String reason =
                            cancel.cancelled()
                                    ? cancel.reason()
                                    : Reasons.of(Reasons.INTERNAL, e.toString());
                    if (!cancel.cancelled()) {
                        LOG.errorf(e, "release %s: build crashed", id());
                        log.line("build failed: " + reason);
                    }
                    done = rec.failed(Instant.now(), reason);
                } finally {
                    timeLimit.cancel(false);
                    BuildStore.deleteTree(ws);
                    Thread.interrupted();
                }
            }
            finish(done);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
