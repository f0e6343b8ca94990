package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.BiFunction;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.canaryrelease.deploy.client.SwapService;
import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.Command;
import dev.canaryrelease.deploy.domain.HostStep;
import dev.canaryrelease.deploy.domain.Ownership;
import dev.canaryrelease.deploy.domain.Policy;
import dev.canaryrelease.deploy.domain.Release;
import dev.canaryrelease.deploy.domain.ReleaseMachine;
import dev.canaryrelease.deploy.domain.ReplayFold;
import dev.canaryrelease.deploy.domain.Rollouts;
import dev.canaryrelease.deploy.domain.SwapResult;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.messaging.EventOutbox;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostAnswerTimedOut;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.Fleet;

/**
 * Runs the state machine on live events and carries out its commands: events are published caused
 * by the event that triggered them, swaps run on one worker per app and host (so a slow host, or a
 * slow app, never holds the others, and one app's container never sees two swaps at once), at most
 * {@code canary.deploy.swaps-per-host} at once on one engine, and their results go back into the
 * machine.
 *
 * <p>At start, {@link #replay} rebuilds every release from the topics without acting. It acts only
 * for the apps whose partitions its consumer group gives it (issue 19: two instances share the
 * apps): when given an app ({@link #assigned}) it does what the history shows was decided but never
 * done for it (an event not published, a drained host whose swap has no result); when the
 * partitions are taken away ({@link #revoked}, {@link #lost}) it stops acting for those apps.
 */
@ApplicationScoped
public class DeployEngine {
    private static final Logger LOG = Logger.getLogger(DeployEngine.class);

    /** Our own events that are results the machine needs (the rest it derives itself). */
    private static final Set<EventType> OWN_INPUTS = ReplayFold.OWN_INPUTS;

    private final Fleet fleet;
    private final EventPublisher publisher;
    private final EventOutbox outbox;
    private final SwapService swaps;
    private final DeployConfig config;
    private Rollouts rollouts;
    private final Set<String> seen = new HashSet<>();
    private final Map<String, EventEnvelope<?>> lastEvent = new HashMap<>();

    /** One single-thread worker per app and host ({@code host/app}). */
    private final Map<String, ExecutorService> workers = new HashMap<>();

    /** The swaps one engine may run at once, shared by its apps' workers (fair: first come). */
    private final Map<String, Semaphore> engineSlots = new HashMap<>();

    private final RetryingTimers timers =
            new RetryingTimers("deploy-timers", Duration.ofSeconds(1), Duration.ofMinutes(1), LOG);
    private final CountDownLatch ready = new CountDownLatch(1);

    /** The apps whose partitions this instance was given (issue 19); none before the first. */
    private Ownership ownership = Ownership.NONE;

    /**
     * The apps of a revocation in progress: their running swaps go on until the revocation ends
     * (Kafka gives their partitions to no one before), then are fenced.
     */
    private final Set<String> handingOver = new HashSet<>();

    /**
     * Moves on when a revocation ends and when partitions are lost: a swap started under an earlier
     * epoch is fenced at its next step ({@link #holds}).
     */
    private long epoch;

    /** Swaps and restores submitted and not finished, per app. */
    private final Map<String, Integer> inFlight = new HashMap<>();

    public DeployEngine(
            Fleet fleet, EventPublisher publisher, SwapService swaps, DeployConfig config) {
        this.fleet = fleet;
        this.publisher = publisher;
        // decisions never wait for the broker: their events go out in order from the outbox,
        // sent again until acknowledged (150 s: longer than the producer's delivery timeout)
        this.outbox =
                new EventOutbox(
                        publisher,
                        "deploy-outbox",
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(150));
        this.swaps = swaps;
        this.config = config;
        this.rollouts = restorer(fleet, config).apply(List.of());
    }

    /**
     * Makes releases under the fleet's policy and apps: a snapshot's, in first-seen order (none: a
     * first start).
     */
    public static java.util.function.Function<List<Release>, Rollouts> restorer(
            Fleet fleet, DeployConfig config) {
        Policy policy = Policy.of(fleet, config.lbAnswerMargin());
        Set<String> apps =
                fleet.apps().stream()
                        .map(Fleet.App::name)
                        .collect(java.util.stream.Collectors.toSet());
        return inOrder -> Rollouts.restored(policy, apps, inOrder);
    }

    // --- start: replay -------------------------------------------------------------------------

    /**
     * Takes the state the start-up replay folded (a snapshot and the history after it, in
     * ReplayOrder, nothing published). It acts on nothing yet: what was decided but not done, and
     * the interrupted swaps on every host, are carried out for the apps of the partitions the group
     * gives this instance ({@link #assigned}), once it gives them.
     */
    public void replay(ReplayFold fold) {
        synchronized (this) {
            rollouts = fold.rollouts().copy();
            seen.addAll(fold.seen());
        }
        LOG.infof(
                "replay: %d releases rebuilt, %d commands decided, %d not yet done (carried out"
                        + " for the apps of the partitions this instance is given)",
                rollouts.releases().size(), fold.decided(), fold.outstanding().size());
        ready.countDown();
    }

    /**
     * The consumer group gave this instance {@code next} (issue 19): it now runs the rollouts of
     * those apps. For an app it did not have, it takes the app's releases from {@code fold} (the
     * history folded up to its end, the group's assignment having stopped the instance that had the
     * app), then carries out what the history shows decided but not done and recovers the app's
     * interrupted swaps on every host, as a start does. The apps it keeps go on from its own state,
     * which runs ahead of its events.
     */
    public void assigned(Ownership next, ReplayFold fold) {
        List<ReplayFold.Pending> todo = new ArrayList<>();
        Set<String> gained = new java.util.TreeSet<>();
        synchronized (this) {
            Ownership before = ownership;
            for (Fleet.App a : fleet.apps()) {
                if (next.gained(a.name(), before)) gained.add(a.name());
            }
            // the releases of every app but those kept are the fold's: the gained apps' to act
            // on, the others' (another instance's) to show fresh in the API
            rollouts =
                    Rollouts.merged(
                            rollouts,
                            fold.rollouts(),
                            app -> !(before.owns(app) && next.owns(app)));
            seen.addAll(fold.seen());
            for (ReplayFold.Pending p : fold.outstanding()) {
                String app = appOf(p.command());
                if (app != null && gained.contains(app)) todo.add(p);
            }
            // the cause of what a timer decides later
            for (ReplayFold.Pending p : todo) lastEvent.put(p.cause().releaseId(), p.cause());
            ownership = next;
        }
        LOG.infof(
                "partitions %s: this instance runs the rollouts of %s (taken over now: %s, %d"
                        + " commands decided and not yet done)",
                next, owned(), gained, todo.size());
        Set<String> swapping = new HashSet<>();
        for (ReplayFold.Pending p : todo) {
            if (p.command() instanceof Command.Swap s) swapping.add(s.host() + "/" + s.app());
            if (p.command() instanceof Command.Restore r) swapping.add(r.host() + "/" + r.app());
        }
        if (config.recoverAtStart()) {
            for (Fleet.Host h : fleet.dockerHosts()) {
                for (String app : gained) {
                    // an app whose swap is to be made again recovers in that swap
                    if (swapping.contains(h.name() + "/" + app)) continue;
                    onEngine(h.name(), app, () -> recoverIfOwned(h.name(), app));
                }
            }
        }
        synchronized (this) {
            for (ReplayFold.Pending p : todo) execute(p.command(), p.cause());
        }
    }

    /**
     * The group takes this instance's partitions away (a rebalance: another instance joined or
     * left): it stops acting at once (nothing new is started, a timer does nothing, a queued swap
     * is skipped), then waits up to {@code grace} for the swaps already running and for their
     * events to reach Kafka, so the next owner's fold of the history sees them done. Kafka waits
     * for this before it gives the partitions to anyone.
     */
    public void revoked(Duration grace) {
        Set<String> apps;
        synchronized (this) {
            apps = owned();
            ownership = Ownership.NONE;
            handingOver.addAll(apps);
        }
        if (apps.isEmpty()) return;
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            synchronized (this) {
                while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
                    wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                }
            }
            boolean sent =
                    outbox.awaitEmpty(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            synchronized (this) {
                if (!inFlight.isEmpty() || !sent) {
                    LOG.warnf(
                            "partitions revoked: after %s, swaps still running %s, %d events not"
                                    + " yet acknowledged; the next owner finds them by the hosts'"
                                    + " state",
                            grace, inFlight, outbox.pending());
                } else {
                    LOG.infof("partitions revoked: stopped acting for %s", apps);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                // the partitions go on once this returns: a swap still running stops at its next
                // step, and its outcome is not published (the next owner finds the host's state)
                handingOver.clear();
                epoch++;
            }
        }
    }

    /**
     * The group has already given this instance's partitions to another (it was expelled: no
     * heartbeat within the session timeout): it stops acting at once, without waiting.
     */
    public synchronized void lost() {
        LOG.warnf(
                "partitions lost: this instance no longer runs the rollouts of %s (expelled from"
                        + " the group); nothing more is started",
                owned());
        ownership = Ownership.NONE;
        handingOver.clear();
        epoch++; // a running swap stops at its next step
    }

    /** The apps of the fleet this instance runs the rollouts of now. */
    public synchronized Set<String> owned() {
        Set<String> apps = new java.util.TreeSet<>();
        for (Fleet.App a : fleet.apps()) {
            if (ownership.owns(a.name())) apps.add(a.name());
        }
        return apps;
    }

    /** True when this instance runs {@code app}'s rollouts now. */
    public synchronized boolean owns(String app) {
        return ownership.owns(app);
    }

    private void recoverIfOwned(String host, String app) {
        SwapService.Fence fence = fence(app);
        if (fence == null) return;
        swaps.recover(host, app, fence);
    }

    /**
     * The fence of a swap of {@code app} starting now (null: the app is not this instance's): it
     * holds while the epoch is the same and the app is this instance's, or in the revocation that
     * waits for its swaps.
     */
    private synchronized SwapService.Fence fence(String app) {
        if (!ownership.owns(app)) return null;
        long at = epoch;
        return () -> holds(app, at);
    }

    private synchronized boolean holds(String app, long at) {
        return at == epoch && (ownership.owns(app) || handingOver.contains(app));
    }

    /** The app of the release a command is about (null when the release is unknown). */
    private String appOf(Command c) {
        String id;
        if (c instanceof Command.Emit em) {
            if (em.data() instanceof dev.canaryrelease.events.model.OfApp a && a.app() != null) {
                return a.app();
            }
            id = em.data().releaseId();
        } else if (c instanceof Command.Swap sw) {
            return sw.app();
        } else if (c instanceof Command.Restore r) {
            return r.app();
        } else if (c instanceof Command.ScheduleAnswerDeadline a) {
            id = a.releaseId();
        } else if (c instanceof Command.ScheduleAutoPromotion a) {
            id = a.releaseId();
        } else if (c instanceof Command.SchedulePromotionDeadline d) {
            id = d.releaseId();
        } else {
            return null;
        }
        return rollouts.release(id).map(Release::app).orElse(null);
    }

    private synchronized boolean awaiting(String releaseId, String host, HostStep step) {
        return rollouts.release(releaseId)
                .map(r -> r.host(host))
                .filter(h -> h.step() == step)
                .isPresent();
    }

    private static String hostOf(CanaryEvent d) {
        return d instanceof dev.canaryrelease.events.model.OnHost h ? h.host() : "";
    }

    /** Blocks a listener until the replay is done (events are not acted on before). */
    public void awaitReady() {
        try {
            // the replay itself fails the start when it stops moving (HistoryReader); it runs
            // before the channels start, so this waits only for the engine to take the fold
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // --- live ----------------------------------------------------------------------------------

    /** Handles one live event (idempotent: an event seen before is skipped). */
    public synchronized void handle(EventEnvelope<? extends CanaryEvent> e) {
        if (!seen.add(e.id())) {
            return;
        }
        if (e.source().equals(publisher.source()) && !OWN_INPUTS.contains(e.type())) return;
        String app = rollouts.release(e.releaseId()).map(Release::app).orElse(appOfEvent(e));
        if (!ownership.owns(app)) {
            // another instance's app, or none's right now: whoever is given its partition folds
            // this event from the history and acts on it
            seen.remove(e.id());
            LOG.debugf(
                    "release %s: %s not acted on: app %s is not this instance's (%s)",
                    e.releaseId(), e.type().shortName(), app, ownership);
            return;
        }
        lastEvent.put(e.releaseId(), e);
        Rollouts.Outcome o = rollouts.handle(e);
        for (String why : o.rejections()) {
            LOG.infof("release %s: %s not applied: %s", e.releaseId(), e.type().shortName(), why);
        }
        for (Command c : o.commands()) execute(c, e);
        rollouts.release(e.releaseId())
                .ifPresent(
                        r ->
                                LOG.debugf(
                                        "release %s: %s after %s",
                                        r.id(), r.phase(), e.type().shortName()));
    }

    private static String appOfEvent(EventEnvelope<? extends CanaryEvent> e) {
        return e.data() instanceof dev.canaryrelease.events.model.OfApp a ? a.app() : null;
    }

    private void execute(Command c, EventEnvelope<?> cause) {
        String app = appOf(c);
        if (!ownership.owns(app)) {
            LOG.infof(
                    "release %s: %s not carried out: app %s is not this instance's (%s)",
                    cause.releaseId(), c.getClass().getSimpleName(), app, ownership);
            return;
        }
        if (c instanceof Command.Emit em) {
            EventEnvelope<?> sent = outbox.publish(cause, em.data());
            lastEvent.put(sent.releaseId(), sent);
            LOG.infof(
                    "release %s: %s%s",
                    em.data().releaseId(),
                    EventType.of(em.data()).shortName(),
                    hostSuffix(em.data()));
        } else if (c instanceof Command.Swap s) {
            started(s.app());
            onEngine(
                    s.host(),
                    s.app(),
                    () ->
                            result(
                                    cause,
                                    s.releaseId(),
                                    s.app(),
                                    s.host(),
                                    s.stage(),
                                    s.digest(),
                                    fence -> swaps.swap(s.host(), s.app(), s.digest(), fence)));
        } else if (c instanceof Command.Restore r) {
            started(r.app());
            onEngine(
                    r.host(),
                    r.app(),
                    () ->
                            result(
                                    cause,
                                    r.releaseId(),
                                    r.app(),
                                    r.host(),
                                    Stage.ROLLBACK,
                                    r.digest(),
                                    fence -> swaps.restore(r.host(), r.app(), r.digest(), fence)));
        } else if (c instanceof Command.ScheduleAutoPromotion a) {
            timers.at(
                    a.at(),
                    a.releaseId(),
                    "autoPromote",
                    () ->
                            decide(
                                    a.releaseId(),
                                    r -> r.phase() == Phase.CANARY_LIVE,
                                    ReleaseMachine::autoPromotion,
                                    Logger.Level.INFO));
        } else if (c instanceof Command.ScheduleAnswerDeadline a) {
            java.time.Instant earliest = java.time.Instant.now().plus(a.deadline());
            timers.at(
                    a.at().isAfter(earliest) ? a.at() : earliest,
                    a.releaseId(),
                    "lb answer deadline of " + a.host() + " in " + a.awaiting(),
                    () -> answerOverdue(a));
        } else if (c instanceof Command.SchedulePromotionDeadline d) {
            timers.at(
                    d.at(),
                    d.releaseId(),
                    "promotion deadline",
                    () ->
                            decide(
                                    d.releaseId(),
                                    // not while paused, nor a deadline a pause moved
                                    r -> r.promotionDeadlineDue(d.at()),
                                    ReleaseMachine::promotionDeadline,
                                    Logger.Level.WARN));
        }
    }

    private static String hostSuffix(CanaryEvent d) {
        String h = hostOf(d);
        return h.isEmpty() ? "" : " " + h;
    }

    private synchronized void started(String app) {
        inFlight.merge(app, 1, Integer::sum);
    }

    private synchronized void finished(String app) {
        inFlight.computeIfPresent(app, (k, n) -> n <= 1 ? null : n - 1);
        notifyAll();
    }

    private void result(
            EventEnvelope<?> cause,
            String releaseId,
            String app,
            String host,
            Stage stage,
            String wanted,
            java.util.function.Function<SwapService.Fence, SwapResult> work) {
        try {
            SwapService.Fence fence = fence(app);
            if (fence == null) {
                // queued (behind another swap of the app, or for a slot of the engine) while
                // the app's partition went to another instance: that one carries it out
                LOG.infof(
                        "release %s: %s on %s not started: app %s is no longer this instance's",
                        releaseId, stage, host, app);
                return;
            }
            swapAndReport(cause, releaseId, app, host, stage, wanted, fence, work);
        } finally {
            finished(app);
        }
    }

    private void swapAndReport(
            EventEnvelope<?> cause,
            String releaseId,
            String app,
            String host,
            Stage stage,
            String wanted,
            SwapService.Fence fence,
            java.util.function.Function<SwapService.Fence, SwapResult> work) {
        SwapResult r;
        try {
            r = work.apply(fence);
        } catch (SwapService.Fenced ex) {
            LOG.warnf("release %s: %s on %s fenced: %s", releaseId, stage, host, ex.getMessage());
            return;
        } catch (RuntimeException ex) {
            LOG.errorf(ex, "release %s: %s on %s failed unexpectedly", releaseId, stage, host);
            r = new SwapResult(false, null, null, host + ": " + ex, "");
        }
        CanaryEvent data =
                r.ok()
                        ? new HostUpdated(
                                releaseId, app, host, stage, r.digest(), r.previousDigest())
                        : new HostUpdateFailed(
                                releaseId,
                                app,
                                host,
                                stage,
                                wanted,
                                r.previousDigest(),
                                r.reason(),
                                r.logTail());
        // the machine takes the result at once; its event follows from the outbox (after a
        // crash before it is acknowledged, the replay finds the swap without a result and the
        // swap, idempotent on a host that already runs the digest, is made again)
        EventEnvelope<CanaryEvent> e;
        synchronized (this) {
            // checked under the lock the revocation takes: an outcome is published only by the
            // app's owner (the next owner makes the swap again, from the host's state)
            if (!fence.holds()) {
                LOG.warnf(
                        "release %s: %s on %s fenced: %s not published, app %s is no longer this"
                                + " instance's",
                        releaseId, stage, host, EventType.of(data).shortName(), app);
                return;
            }
            e = outbox.publish(cause, data);
        }
        LOG.infof(
                "release %s: %s %s%s",
                releaseId, e.type().shortName(), host, r.ok() ? "" : ": " + r.reason());
        handle(e);
    }

    /**
     * A decision the service takes by itself when a timer fires (autoPromote after the bake time,
     * the promotion deadline): if the release still {@code applies}, it publishes the event {@code
     * decision} makes, caused by the release's last event, and acts on it as on any input.
     */
    private synchronized void decide(
            String releaseId,
            java.util.function.Predicate<Release> applies,
            BiFunction<Release, Policy, ? extends CanaryEvent> decision,
            Logger.Level level) {
        Release r = rollouts.release(releaseId).orElse(null);
        if (r == null || !ownership.owns(r.app()) || !applies.test(r)) return;
        CanaryEvent data = decision.apply(r, rollouts.policy());
        LOG.logf(level, "release %s: the service itself publishes %s", releaseId, data);
        handle(outbox.publish(lastEvent.get(releaseId), data));
    }

    /**
     * lb-service's answer on a host is overdue: if the host still waits in the same step, publish
     * {@code host.answer-timed-out} and apply it (the machine compensates).
     */
    private synchronized void answerOverdue(Command.ScheduleAnswerDeadline a) {
        if (!awaiting(a.releaseId(), a.host(), a.awaiting())) return;
        Release r = rollouts.release(a.releaseId()).orElseThrow();
        if (!ownership.owns(r.app())) return;
        CanaryEvent data = ReleaseMachine.answerTimedOut(r, a.host(), rollouts.policy());
        LOG.warnf("release %s: %s", a.releaseId(), ((HostAnswerTimedOut) data).reason());
        handle(outbox.publish(lastEvent.get(a.releaseId()), data));
    }

    /**
     * Runs {@code work} on the worker of {@code app} on {@code host}, once the engine has a free
     * slot: the apps of one host swap side by side, each app's swaps one after the other.
     */
    private synchronized void onEngine(String host, String app, Runnable work) {
        Semaphore slots =
                engineSlots.computeIfAbsent(
                        host, h -> new Semaphore(Math.max(1, config.swapsPerHost()), true));
        workers.computeIfAbsent(
                        host + "/" + app,
                        k -> Executors.newSingleThreadExecutor(r -> new Thread(r, "swap-" + k)))
                .submit(
                        () -> {
                            slots.acquireUninterruptibly();
                            try {
                                work.run();
                            } finally {
                                slots.release();
                            }
                        });
    }

    // --- read side -----------------------------------------------------------------------------

    public synchronized java.util.Optional<Release> release(String id) {
        return rollouts.release(id);
    }

    public synchronized List<Release> releases() {
        return List.copyOf(rollouts.releases());
    }

    /** Hosts some release has out of the pool right now. */
    public synchronized Map<String, String> busyHosts() {
        Map<String, String> busy = new HashMap<>();
        for (Release r : rollouts.releases()) {
            r.hosts().values().stream()
                    .filter(h -> h.step().inFlight() || h.step() == HostStep.REVERT_PENDING)
                    .forEach(h -> busy.put(h.host(), r.id() + " " + h.step()));
        }
        return busy;
    }

    /** The events decided and not yet acknowledged by Kafka. */
    public EventOutbox outbox() {
        return outbox;
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
        outbox.close(Duration.ofSeconds(5));
        synchronized (this) {
            workers.values().forEach(ExecutorService::shutdown);
        }
    }
}
