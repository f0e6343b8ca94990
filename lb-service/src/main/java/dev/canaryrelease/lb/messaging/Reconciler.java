package dev.canaryrelease.lb.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.LbDriftCorrected;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.HaproxyInstance.ProcessInfo;
import dev.canaryrelease.lb.client.LoadBalancerException;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;
import dev.canaryrelease.lb.domain.WantedWeight;

/**
 * Keeps every instance at the wanted admin states: reads {@code show info} of each instance every
 * {@code canary.lb.watch-interval}; when the process id changed or the uptime went back (a reload
 * or a restart, which reset runtime states), or every {@code canary.lb.reconcile-interval}, it
 * compares {@code show servers state} with the wanted states, puts back what drifted and emits
 * {@code lb.drift-corrected}. A drained canary never comes back into rotation by a reload. Idle
 * until the start-up replay is done ({@link LbReplay}), and never raises to ready a server with an
 * unanswered request of deploy-service.
 */
@ApplicationScoped
public class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    private final LoadBalancerPool pool;
    private final WantedStates wanted;
    private final EventPublisher publisher;
    private final LbReplay replay;
    private final Duration reconcileInterval;
    private final Duration watchInterval;
    private final Duration requestHold;
    private final Map<String, Boolean> overdueLogged = new ConcurrentHashMap<>();
    private java.util.concurrent.ScheduledExecutorService timer;
    private final Map<String, ProcessInfo> seen = new ConcurrentHashMap<>();
    private final Map<String, Long> lastFull = new ConcurrentHashMap<>();

    public Reconciler(
            LoadBalancerPool pool,
            WantedStates wanted,
            EventPublisher publisher,
            LbReplay replay,
            LbConfig config) {
        this.pool = pool;
        this.wanted = wanted;
        this.publisher = publisher;
        this.replay = replay;
        this.reconcileInterval = config.reconcileInterval();
        this.watchInterval = config.watchInterval();
        this.requestHold = config.requestHold();
    }

    // Quarkus' scheduler does not run jobs more often than every second: an own timer thread.
    void onStart(@Observes StartupEvent event) {
        timer =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "lb-reconciler");
                            t.setDaemon(true);
                            return t;
                        });
        timer.scheduleWithFixedDelay(
                this::watchSafely,
                watchInterval.toMillis(),
                watchInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void watchSafely() {
        try {
            watch();
        } catch (RuntimeException e) {
            LOG.errorf(e, "reconciliation failed");
        }
    }

    void watch() {
        if (!replay.done()) {
            // The wanted states are history half replayed: acting on them could put back a state
            // that a later event of the same server overrode.
            return;
        }
        for (HaproxyInstance lb : pool.instances()) {
            try {
                ProcessInfo info = lb.info();
                ProcessInfo before = seen.put(lb.name(), info);
                boolean reloaded =
                        before != null
                                && (before.pid() != info.pid()
                                        || info.uptimeSec() < before.uptimeSec());
                if (reloaded) {
                    LOG.infof(
                            "%s reloaded (pid %d → %d): checking wanted states",
                            lb, before.pid(), info.pid());
                }
                long now = System.nanoTime();
                Long last = lastFull.get(lb.name());
                if (reloaded || last == null || now - last >= reconcileInterval.toNanos()) {
                    lastFull.put(lb.name(), now);
                    reconcile(lb);
                }
            } catch (LoadBalancerException e) {
                LOG.debugf("reconciliation skipped: %s", e.getMessage());
            }
        }
    }

    /** Compares one instance with the wanted states and corrects drift; returns corrections. */
    int reconcile(HaproxyInstance lb) {
        return reconcileStates(lb) + reconcileChecks(lb) + reconcileWeights(lb);
    }

    /**
     * Resumes the health checks of a server in the pool (wanted ready, or ready with no decision of
     * lb-service's on it) whose checks are paused: a drain pauses them for the swap and the enable
     * resumes them, so this is lb-service stopped in between and the server made ready by something
     * else than an enable, or a hand on the Runtime API. A server in rotation is never left
     * unchecked.
     */
    int reconcileChecks(HaproxyInstance lb) {
        java.util.Set<ServerKey> paused = lb.checksPaused();
        if (paused.isEmpty()) {
            return 0;
        }
        Map<ServerKey, AdminState> found = lb.adminStates();
        int corrected = 0;
        for (ServerKey key : paused) {
            Wanted w = wanted.get(key).orElse(null);
            boolean inPool =
                    w == null
                            ? found.get(key) == AdminState.READY
                            : w.state() == AdminState.READY && !heldUp(key, w);
            if (!inPool) {
                continue;
            }
            ReentrantLock cmd = commandLock(key);
            if (cmd == null) {
                continue;
            }
            try {
                // read again under the lock: a drain may just have paused them for its swap
                Wanted now = wanted.get(key).orElse(null);
                if ((now == null ? w != null : now.state() != AdminState.READY)
                        || !lb.checksPaused().contains(key)) {
                    continue;
                }
                lb.resumeChecks(key);
                LOG.warnf(
                        "%s: %s is in the pool (release %s) but its health checks were paused:"
                                + " resumed",
                        lb, key, now == null ? "none" : now.releaseId());
                corrected++;
            } finally {
                cmd.unlock();
            }
        }
        return corrected;
    }

    /**
     * Puts back the wanted weights (a weighted canary's, or the configured ones after it) that a
     * reload without a saved server-state file lost.
     */
    int reconcileWeights(HaproxyInstance lb) {
        Map<ServerKey, WantedWeight> want = wanted.weights();
        if (want.isEmpty()) {
            return 0;
        }
        Map<ServerKey, HaproxyInstance.Weight> found = lb.weights();
        int corrected = 0;
        for (Map.Entry<ServerKey, WantedWeight> w : want.entrySet()) {
            HaproxyInstance.Weight f = found.get(w.getKey());
            if (f == null || f.current() == w.getValue().on(f.configured())) {
                continue;
            }
            if (correctWeight(lb, w.getKey())) {
                corrected++;
            }
        }
        return corrected;
    }

    private boolean correctWeight(HaproxyInstance lb, ServerKey key) {
        ReentrantLock cmd = commandLock(key);
        if (cmd == null) {
            return false;
        }
        try {
            // read again under the lock: CanaryWeights may just have set a new step
            WantedWeight w = wanted.weight(key).orElse(null);
            HaproxyInstance.Weight f = lb.weights().get(key);
            if (w == null || f == null || f.current() == w.on(f.configured())) {
                return false;
            }
            if (w.configured()) {
                lb.resetWeight(key);
            } else {
                lb.setWeight(key, w.weight());
            }
            LOG.warnf(
                    "%s: %s had weight %d, wanted %s (release %s): corrected",
                    lb, key, f.current(), w.describe(), w.releaseId());
            String release = w.releaseId() == null ? CanaryEvent.NO_RELEASE : w.releaseId();
            publisher.publish(
                    new LbDriftCorrected(
                            release,
                            lb.name(),
                            key.backend(),
                            key.server(),
                            "weight " + w.on(f.configured()),
                            "weight " + f.current()));
            return true;
        } finally {
            cmd.unlock();
        }
    }

    int reconcileStates(HaproxyInstance lb) {
        Map<ServerKey, Wanted> want = wanted.snapshot();
        if (want.isEmpty()) {
            return 0;
        }
        Map<ServerKey, AdminState> found = lb.adminStates();
        int corrected = 0;
        for (Map.Entry<ServerKey, Wanted> w : want.entrySet()) {
            AdminState f = found.get(w.getKey());
            if (f == null) {
                continue;
            }
            Wanted now = outlived(w.getKey(), w.getValue()) ? lift(w.getKey()) : w.getValue();
            if (met(f, now.state()) || heldUp(w.getKey(), now)) {
                continue;
            }
            if (correct(lb, w.getKey())) {
                corrected++;
            }
        }
        return corrected;
    }

    /**
     * A server with a request of deploy-service still unanswered is never raised to ready by
     * reconciliation: that request decides (e.g. a drain interrupted by a restart is resumed by its
     * redelivery). Lowering it (a reload made it ready) is still done. A request older than {@code
     * canary.lb.request-hold} no longer holds: its record is gone (retention, or lost), so no
     * redelivery will ever resume it, and deploy-service gave up on its answer long ago.
     */
    private boolean heldUp(ServerKey key, Wanted w) {
        if (w.state() != AdminState.READY) {
            return false;
        }
        Instant notBefore = Instant.now().minus(requestHold);
        if (wanted.pending().held(key, notBefore)) {
            return true;
        }
        Map<String, Instant> overdue = wanted.pending().overdue(key, notBefore);
        overdue.forEach(
                (id, at) -> {
                    if (overdueLogged.putIfAbsent(id, Boolean.TRUE) == null) {
                        LOG.warnf(
                                "%s: request %s of deploy-service (made %s) has had no answer for"
                                        + " over %s (canary.lb.request-hold): its record is taken"
                                        + " to be gone, and it no longer holds the server",
                                key, id, at, requestHold);
                    }
                });
        return false;
    }

    /**
     * Whether {@code w} keeps the server out of the pool for a follow-up of deploy-service that has
     * not come for longer than {@code canary.lb.request-hold} (see the class comment).
     */
    private boolean outlived(ServerKey key, Wanted w) {
        if (w.state() == AdminState.READY) {
            return false;
        }
        Instant notBefore = Instant.now().minus(requestHold);
        return w.at().isBefore(notBefore) && !wanted.pending().held(key, notBefore);
    }

    /** Makes the wanted state of an {@link #outlived} server ready again; returns what is kept. */
    private Wanted lift(ServerKey key) {
        ReentrantLock cmd = wanted.command(key);
        cmd.lock();
        try {
            // read again under the lock: a handler may just have decided anew
            Wanted w = wanted.get(key).orElse(null);
            if (w == null || !outlived(key, w)) {
                return w == null ? new Wanted(AdminState.READY, Instant.now(), null) : w;
            }
            LOG.warnf(
                    "%s: wanted %s since %s (release %s), and no request of deploy-service on it"
                            + " for over %s (canary.lb.request-hold): its follow-up is taken to be"
                            + " lost, and the server is wanted ready again",
                    key, w.state().command(), w.at(), w.releaseId(), requestHold);
            Wanted ready = new Wanted(AdminState.READY, Instant.now(), w.releaseId());
            wanted.apply(key, ready);
            return ready;
        } finally {
            cmd.unlock();
        }
    }

    /**
     * Whether the state {@code found} is what {@code wanted} asks. A server drained for a swap
     * stays in drain so that HAProxy's checks go on ({@link HostCycle}), while its event ({@code
     * host.drained}) wants maint: both keep it out of rotation, so drain meets a wanted maint.
     */
    static boolean met(AdminState found, AdminState wanted) {
        return found == wanted || (wanted == AdminState.MAINT && found == AdminState.DRAIN);
    }

    /**
     * The server's command lock, held by this thread once it is taken within a second; null when it
     * is not (a handler holds it: this pass leaves the server to the next one).
     */
    private ReentrantLock commandLock(ServerKey key) {
        ReentrantLock cmd = wanted.command(key);
        try {
            return cmd.tryLock(1, TimeUnit.SECONDS) ? cmd : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private boolean correct(HaproxyInstance lb, ServerKey key) {
        ReentrantLock cmd = commandLock(key);
        if (cmd == null) {
            return false;
        }
        try {
            // Read again under the lock: a handler may just have applied a new decision.
            Wanted w = wanted.get(key).orElse(null);
            AdminState f = lb.adminStates().get(key);
            if (w == null || f == null || met(f, w.state()) || heldUp(key, w)) {
                return false;
            }
            lb.setState(key, w.state());
            if (w.state() == AdminState.DRAIN
                    && lb.server(key).map(ServerView::checked).orElse(false)) {
                // As a drain does: HAProxy's UP from before (a reload starts servers UP, maint
                // kept the last check) must not count for the enable that follows, and no check
                // reaches the port while its container is swapped.
                lb.healthDown(key);
                lb.pauseChecks(key);
            }
            LOG.warnf(
                    "%s: %s was %s, wanted %s (release %s): corrected",
                    lb, key, f.command(), w.state().command(), w.releaseId());
            String release = w.releaseId() == null ? CanaryEvent.NO_RELEASE : w.releaseId();
            publisher.publish(
                    new LbDriftCorrected(
                            release,
                            lb.name(),
                            key.backend(),
                            key.server(),
                            w.state().command(),
                            f.command()));
            return true;
        } finally {
            cmd.unlock();
        }
    }
}
