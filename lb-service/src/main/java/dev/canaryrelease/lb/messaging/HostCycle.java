package dev.canaryrelease.lb.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrainFailed;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.lb.client.HaproxyInstance;
import dev.canaryrelease.lb.client.LoadBalancerException;
import dev.canaryrelease.lb.client.LoadBalancerPool;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.Reasons;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;

/**
 * The two operations on a host: take it out of every pool (drain, wait for its sessions, forced
 * DOWN while HAProxy's checks go on) and put it back (ready once HAProxy's own check of the new
 * container has passed). Each returns the event to publish; each is idempotent and serialised per
 * server.
 */
@ApplicationScoped
public class HostCycle {
    private static final Logger LOG = Logger.getLogger(HostCycle.class);

    private final Fleet fleet;
    private final LoadBalancerPool pool;
    private final WantedStates wanted;
    private final LbConfig config;

    public HostCycle(Fleet fleet, LoadBalancerPool pool, WantedStates wanted, LbConfig config) {
        this.fleet = fleet;
        this.pool = pool;
        this.wanted = wanted;
        this.config = config;
    }

    /** The HAProxy server of a host for an app: backend of the app, server named as the host. */
    public Optional<ServerKey> serverOf(String app, String host) {
        return fleet.app(app).map(a -> new ServerKey(a.backend(), host));
    }

    // ---- drain --------------------------------------------------------------------------

    /** Drains the host's server: {@link HostDrained} or {@link HostDrainFailed}. */
    public CanaryEvent drain(String releaseId, String app, String host, Stage stage) {
        Optional<ServerKey> key = serverOf(app, host);
        if (key.isEmpty()) {
            return new HostDrainFailed(releaseId, app, host, stage, Reasons.unknownApp(app));
        }
        return locked(
                key.get(),
                () -> {
                    long start = System.nanoTime();
                    try {
                        return drainLocked(releaseId, app, host, stage, key.get(), start);
                    } catch (LoadBalancerException e) {
                        LOG.warnf(
                                "release %s: drain of %s failed: %s",
                                releaseId, key.get(), e.getMessage());
                        return new HostDrainFailed(releaseId, app, host, stage, e.getMessage());
                    }
                });
    }

    private CanaryEvent drainLocked(
            String releaseId, String app, String host, Stage stage, ServerKey key, long start) {
        List<ServerView> views = pool.server(key);
        if (views.stream().allMatch(v -> v.admin() == AdminState.MAINT)) {
            wanted.apply(key, new Wanted(AdminState.MAINT, Instant.now(), releaseId));
            LOG.infof("release %s: %s already in maint, drained again", releaseId, key);
            return new HostDrained(releaseId, app, host, stage, 0, 0, false);
        }
        Wanted previous = wanted.get(key).orElse(null);
        ReentrantLock backendLock = wanted.backendLock(key.backend());
        backendLock.lock();
        try {
            if (views.stream().allMatch(ServerView::ready)) {
                long readyOthers = readyOthers(key);
                int minReady = fleet.rollout().minReady();
                if (readyOthers < minReady) {
                    String reason = Reasons.belowMinReady(key, readyOthers, minReady);
                    LOG.warnf("release %s: %s", releaseId, reason);
                    return new HostDrainFailed(releaseId, app, host, stage, reason);
                }
            }
            decide(key, AdminState.DRAIN, releaseId);
        } catch (LoadBalancerException e) {
            wanted.restore(key, previous);
            throw e;
        } finally {
            backendLock.unlock();
        }

        int sessionsAtDrain;
        boolean forced = false;
        try {
            sessionsAtDrain = pool.sessions(key);
            long deadline = start + fleet.rollout().drainTimeout().toNanos();
            int sessions = sessionsAtDrain;
            while (sessions > 0) {
                if (System.nanoTime() - deadline >= 0) {
                    LOG.infof(
                            "release %s: %s still has %d session(s) at the drain deadline: shut down",
                            releaseId, key, sessions);
                    pool.shutdownSessions(key);
                    forced = true;
                    break;
                }
                pause(config.drainPollInterval());
                sessions = pool.sessions(key);
            }
            // Forced DOWN now, so that only checks made after the swap can bring it UP again: the
            // old container's last passing checks are forgotten. Then its checks are paused for
            // the swap: a check that reaches the engine's port between the new container's port
            // binding and its network coming up makes the engine's kernel resolve the container's
            // address while nothing answers; it asks again only a second later
            // (retrans_time_ms), and every connection to the address waits behind it, deploy-
            // service's health probe too (0.6-0.9 s of every host cycle under load, measured in
            // bench/release/hand-release). The enable resumes them. (A server without checks is
            // left as it is: nothing would bring it UP again.)
            if (views.stream().allMatch(ServerView::checked)) {
                pool.healthDown(key);
                pool.pauseChecks(key);
            }
        } catch (LoadBalancerException e) {
            AdminState back = previous == null ? AdminState.READY : previous.state();
            bestEffort(key, back);
            wanted.restore(key, previous);
            throw new LoadBalancerException(e.kind(), Reasons.undone(e.getMessage()), e);
        }
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        LOG.infof(
                "release %s: %s drained (%d session(s) at drain, %d ms%s)",
                releaseId, key, sessionsAtDrain, waitedMs, forced ? ", forced" : "");
        return new HostDrained(releaseId, app, host, stage, sessionsAtDrain, waitedMs, forced);
    }

    /** Servers of the backend other than {@code key} that are ready on every instance. */
    private long readyOthers(ServerKey key) {
        Map<String, List<ServerView>> byServer =
                pool.backend(key.backend()).stream()
                        .collect(Collectors.groupingBy(ServerView::server));
        int instances = pool.instances().size();
        return byServer.entrySet().stream()
                .filter(e -> !e.getKey().equals(key.server()))
                .filter(
                        e ->
                                e.getValue().size() == instances
                                        && e.getValue().stream().allMatch(ServerView::ready))
                .count();
    }

    // ---- enable -------------------------------------------------------------------------

    /** Puts the host's server back: {@link HostEnabled} or {@link HostEnableFailed}. */
    public CanaryEvent enable(String releaseId, String app, String host, Stage stage) {
        Optional<ServerKey> key = serverOf(app, host);
        if (key.isEmpty()) {
            return new HostEnableFailed(releaseId, app, host, stage, Reasons.unknownApp(app));
        }
        return locked(
                key.get(),
                () -> {
                    try {
                        return enableLocked(releaseId, app, host, stage, key.get());
                    } catch (LoadBalancerException e) {
                        bestEffort(key.get(), AdminState.MAINT);
                        wanted.apply(
                                key.get(), new Wanted(AdminState.MAINT, Instant.now(), releaseId));
                        LOG.warnf(
                                "release %s: enable of %s failed: %s",
                                releaseId, key.get(), e.getMessage());
                        return new HostEnableFailed(releaseId, app, host, stage, e.getMessage());
                    }
                });
    }

    private CanaryEvent enableLocked(
            String releaseId, String app, String host, Stage stage, ServerKey key) {
        // Checks paused by the drain come back first: a server without them shows "no check",
        // which counts as up.
        pool.resumeChecks(key);
        List<ServerView> views = pool.server(key);
        if (views.stream().allMatch(v -> v.admin() == AdminState.READY && v.checkedUp())) {
            wanted.apply(key, new Wanted(AdminState.READY, Instant.now(), releaseId));
            LOG.infof("release %s: %s already ready and UP", releaseId, key);
            return new HostEnabled(releaseId, app, host, stage);
        }
        boolean checked = views.stream().allMatch(ServerView::checked);
        ReentrantLock cmd = wanted.command(key);
        cmd.lock();
        try {
            wanted.apply(key, new Wanted(AdminState.READY, Instant.now(), releaseId));
            if (checked) {
                if (views.stream().anyMatch(v -> v.admin() == AdminState.MAINT)) {
                    // In maint HAProxy made no check: leaving it, it would trust the one it made
                    // before the swap. Force the server DOWN first (from drain: still out of
                    // rotation) so that only fresh passing checks of the new container bring it UP.
                    pool.setState(key, AdminState.DRAIN);
                    pool.healthDown(key);
                } else {
                    // Drained since the swap began (forced DOWN at its start, its checks paused
                    // until just now): an instance whose server is UP passed its checks since then.
                    // One UP whose last check failed is forced DOWN, so that ready does not put it
                    // in rotation.
                    List<HaproxyInstance> lbs = pool.instances();
                    for (int i = 0; i < lbs.size(); i++) {
                        if (views.get(i).falling()) {
                            lbs.get(i).healthDown(key);
                        }
                    }
                }
            }
            // A DOWN server is out of rotation even when ready: it takes traffic from the moment
            // it is UP.
            pool.setState(key, AdminState.READY);
        } finally {
            cmd.unlock();
        }
        Duration timeout = fleet.rollout().enableTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            views = pool.server(key);
            if (views.stream().allMatch(v -> v.admin() == AdminState.READY && v.checkedUp())) {
                LOG.infof("release %s: %s is back in rotation, health check UP", releaseId, key);
                return new HostEnabled(releaseId, app, host, stage);
            }
            // deploy-service has seen the new container healthy (that is what host.updated says);
            // once HAProxy's own check of it has passed too, the rest of `rise` adds nothing but a
            // wait: the server is forced UP. It is never forced UP on deploy-service's word alone,
            // nor while its last check failed; HAProxy's checks go on and `fall` failures still
            // take it out.
            List<HaproxyInstance> lbs = pool.instances();
            for (int i = 0; i < lbs.size(); i++) {
                if (views.get(i).risingOnAPass()) {
                    pool.healthUpOn(lbs.get(i), key);
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                break;
            }
            pause(config.enablePollInterval());
        }
        String last =
                views.stream()
                        .map(v -> v.loadBalancer() + ": " + v.status() + " " + v.checkStatus())
                        .collect(Collectors.joining(", "));
        cmd.lock();
        try {
            wanted.apply(key, new Wanted(AdminState.MAINT, Instant.now(), releaseId));
            bestEffort(key, AdminState.MAINT);
        } finally {
            cmd.unlock();
        }
        String reason = Reasons.notUp(key, timeout, last);
        LOG.warnf("release %s: %s", releaseId, reason);
        return new HostEnableFailed(releaseId, app, host, stage, reason);
    }

    // ---- helpers ------------------------------------------------------------------------

    /** Records the decision and applies it on every instance, atomically for reconciliation. */
    private void decide(ServerKey key, AdminState state, String releaseId) {
        ReentrantLock cmd = wanted.command(key);
        cmd.lock();
        try {
            wanted.apply(key, new Wanted(state, Instant.now(), releaseId));
            pool.setState(key, state);
        } finally {
            cmd.unlock();
        }
    }

    private void bestEffort(ServerKey key, AdminState state) {
        for (var lb : pool.instances()) {
            try {
                lb.setState(key, state);
            } catch (LoadBalancerException e) {
                LOG.errorf("could not put %s back to %s on %s: %s", key, state, lb, e.getMessage());
            }
        }
    }

    private <T> T locked(ServerKey key, Supplier<T> body) {
        ReentrantLock op = wanted.operation(key);
        op.lock();
        try {
            return body.get();
        } finally {
            op.unlock();
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
