package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.canaryrelease.deploy.client.SwapService;
import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.deploy.domain.Command;
import dev.canaryrelease.deploy.domain.HostStep;
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
 * by the event that triggered them, swaps run on one worker per host (so a slow host never holds
 * the others, and one host never runs two swaps at once), and their results go back into the
 * machine.
 *
 * <p>At start, {@link #replay} rebuilds every release from the topics without acting, then does
 * only what the history shows was decided but never done (an event not published, a drained host
 * whose swap has no result).
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
    private final Map<String, ExecutorService> workers = new HashMap<>();
    private final RetryingTimers timers =
            new RetryingTimers("deploy-timers", Duration.ofSeconds(1), Duration.ofMinutes(1), LOG);
    private final CountDownLatch ready = new CountDownLatch(1);

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
     * ReplayOrder, nothing published), then carries out what was decided but not done, and recovers
     * interrupted swaps on every host.
     */
    public void replay(ReplayFold fold) {
        List<ReplayFold.Pending> todo = fold.outstanding();
        synchronized (this) {
            rollouts = fold.rollouts().copy();
            seen.addAll(fold.seen());
            // the cause of what a timer decides later
            for (ReplayFold.Pending p : todo) lastEvent.put(p.cause().releaseId(), p.cause());
        }
        LOG.infof(
                "replay: %d releases rebuilt, %d commands decided, %d not yet done",
                rollouts.releases().size(), fold.decided(), todo.size());
        Set<String> swapping = new HashSet<>();
        for (ReplayFold.Pending p : todo) {
            if (p.command() instanceof Command.Swap s) swapping.add(s.host());
            if (p.command() instanceof Command.Restore r) swapping.add(r.host());
        }
        if (config.recoverAtStart()) {
            for (Fleet.Host h : fleet.dockerHosts()) {
                if (swapping.contains(h.name())) continue; // its swap recovers first
                for (Fleet.App app : fleet.apps()) {
                    worker(h.name()).submit(() -> swaps.recover(h.name(), app.name()));
                }
            }
        }
        synchronized (this) {
            for (ReplayFold.Pending p : todo) execute(p.command(), p.cause());
        }
        ready.countDown();
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

    private void execute(Command c, EventEnvelope<?> cause) {
        if (c instanceof Command.Emit em) {
            EventEnvelope<?> sent = outbox.publish(cause, em.data());
            lastEvent.put(sent.releaseId(), sent);
            LOG.infof(
                    "release %s: %s%s",
                    em.data().releaseId(),
                    EventType.of(em.data()).shortName(),
                    hostSuffix(em.data()));
        } else if (c instanceof Command.Swap s) {
            worker(s.host())
                    .submit(
                            () ->
                                    result(
                                            cause,
                                            s.releaseId(),
                                            s.app(),
                                            s.host(),
                                            s.stage(),
                                            s.digest(),
                                            () -> swaps.swap(s.host(), s.app(), s.digest())));
        } else if (c instanceof Command.Restore r) {
            worker(r.host())
                    .submit(
                            () ->
                                    result(
                                            cause,
                                            r.releaseId(),
                                            r.app(),
                                            r.host(),
                                            Stage.ROLLBACK,
                                            r.digest(),
                                            () -> swaps.restore(r.host(), r.app(), r.digest())));
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

    private void result(
            EventEnvelope<?> cause,
            String releaseId,
            String app,
            String host,
            Stage stage,
            String wanted,
            java.util.function.Supplier<SwapResult> work) {
        SwapResult r;
        try {
            r = work.get();
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
        EventEnvelope<CanaryEvent> e = outbox.publish(cause, data);
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
        if (r == null || !applies.test(r)) return;
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
        CanaryEvent data = ReleaseMachine.answerTimedOut(r, a.host(), rollouts.policy());
        LOG.warnf("release %s: %s", a.releaseId(), ((HostAnswerTimedOut) data).reason());
        handle(outbox.publish(lastEvent.get(a.releaseId()), data));
    }

    private synchronized ExecutorService worker(String host) {
        return workers.computeIfAbsent(
                host, h -> Executors.newSingleThreadExecutor(r -> new Thread(r, "swap-" + h)));
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
