package dev.canaryrelease.lb.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.lb.client.LoadBalancerException.Kind;
import dev.canaryrelease.lb.config.LbConfig;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.ServerView;

/**
 * Every HAProxy instance of the fleet as one pool: the one bean that talks to the Runtime API. An
 * operation is applied to every instance; when one fails, what it changed on the others is undone
 * and the exception says which instance failed, why, and what was undone.
 */
@ApplicationScoped
public class LoadBalancerPool {
    private static final Logger LOG = Logger.getLogger(LoadBalancerPool.class);

    private final List<HaproxyInstance> instances;

    @Inject
    public LoadBalancerPool(Fleet fleet, LbConfig config) {
        this(
                fleet.loadBalancers().stream()
                        .map(
                                lb ->
                                        new HaproxyInstance(
                                                lb.name(),
                                                lb.runtimeApi(),
                                                config.commandTimeout()))
                        .toList());
    }

    public LoadBalancerPool(List<HaproxyInstance> instances) {
        this.instances = List.copyOf(instances);
    }

    public List<HaproxyInstance> instances() {
        return instances;
    }

    /**
     * The server on every instance, in instance order.
     *
     * @throws LoadBalancerException UNREACHABLE when an instance does not answer, REJECTED when an
     *     instance has no such server in that backend
     */
    public List<ServerView> server(ServerKey key) {
        if (instances.isEmpty()) {
            throw new LoadBalancerException(Kind.REJECTED, "no load balancer in the fleet");
        }
        List<ServerView> out = new ArrayList<>();
        for (HaproxyInstance lb : instances) {
            List<ServerView> all = lb.servers();
            Optional<ServerView> s = all.stream().filter(v -> v.key().equals(key)).findFirst();
            if (s.isEmpty()) {
                boolean backendKnown =
                        all.stream().anyMatch(v -> v.backend().equals(key.backend()));
                throw new LoadBalancerException(
                        Kind.REJECTED,
                        backendKnown
                                ? "unknown server '"
                                        + key.server()
                                        + "': backend '"
                                        + key.backend()
                                        + "' of "
                                        + lb
                                        + " has no such server"
                                : "unknown backend '" + key.backend() + "' on " + lb);
            }
            out.add(s.get());
        }
        return out;
    }

    /** Every server of a backend on every instance. */
    public List<ServerView> backend(String backend) {
        List<ServerView> out = new ArrayList<>();
        for (HaproxyInstance lb : instances) {
            lb.servers().stream().filter(v -> v.backend().equals(backend)).forEach(out::add);
        }
        return out;
    }

    /** Current sessions on the server, summed over the instances. */
    public int sessions(ServerKey key) {
        return server(key).stream().mapToInt(ServerView::sessions).sum();
    }

    /** Sets the admin state on every instance; undone everywhere if one instance fails. */
    public void setState(ServerKey key, AdminState state) {
        List<HaproxyInstance> done = new ArrayList<>();
        List<AdminState> before = new ArrayList<>();
        for (HaproxyInstance lb : instances) {
            try {
                AdminState previous =
                        Optional.ofNullable(lb.adminStates().get(key))
                                .orElseThrow(
                                        () ->
                                                new LoadBalancerException(
                                                        Kind.REJECTED,
                                                        "unknown server '" + key + "' on " + lb));
                lb.setState(key, state);
                done.add(lb);
                before.add(previous);
            } catch (LoadBalancerException e) {
                throw new LoadBalancerException(
                        e.kind(), e.getMessage() + undo(key, state.command(), done, before), e);
            }
        }
    }

    /**
     * {@code set server ... health down} on every instance (undone as a state change cannot be).
     */
    public void healthDown(ServerKey key) {
        for (HaproxyInstance lb : instances) {
            lb.healthDown(key);
        }
    }

    /** {@code disable health} on every instance (see {@link HaproxyInstance#pauseChecks}). */
    public void pauseChecks(ServerKey key) {
        for (HaproxyInstance lb : instances) {
            lb.pauseChecks(key);
        }
    }

    /** {@code enable health} on every instance where the server's checks are paused. */
    public void resumeChecks(ServerKey key) {
        for (HaproxyInstance lb : instances) {
            if (lb.checksPaused().contains(key)) {
                lb.resumeChecks(key);
            }
        }
    }

    /** {@code set server ... health up} on one instance. */
    public void healthUpOn(HaproxyInstance lb, ServerKey key) {
        lb.healthUp(key);
    }

    /** Kills the sessions still on the server, on every instance that answers. */
    public void shutdownSessions(ServerKey key) {
        LoadBalancerException first = null;
        for (HaproxyInstance lb : instances) {
            try {
                lb.shutdownSessions(key);
            } catch (LoadBalancerException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static String undo(
            ServerKey key, String what, List<HaproxyInstance> done, List<AdminState> before) {
        if (done.isEmpty()) {
            return "";
        }
        List<String> undone = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (int i = done.size() - 1; i >= 0; i--) {
            HaproxyInstance lb = done.get(i);
            try {
                lb.setState(key, before.get(i));
                undone.add(lb.name() + " back to " + before.get(i).command());
            } catch (LoadBalancerException e) {
                failed.add(lb.name() + " (" + e.getMessage() + ")");
                LOG.errorf("could not undo '%s' of %s on %s: %s", what, key, lb, e.getMessage());
            }
        }
        return "; '"
                + what
                + "' undone on "
                + String.join(", ", undone)
                + (failed.isEmpty() ? "" : "; undo FAILED on " + String.join(", ", failed));
    }

    /**
     * Sets each server's weight on every instance ({@link
     * dev.canaryrelease.lb.domain.WantedWeight#CONFIGURED}: back to the configured one). Not undone
     * on a failure: the wanted weights are kept, and reconciliation puts them on the instance that
     * failed once it answers.
     */
    public void setWeights(String backend, Map<String, Integer> weights) {
        LoadBalancerException first = null;
        for (HaproxyInstance lb : instances) {
            for (Map.Entry<String, Integer> w : weights.entrySet()) {
                ServerKey key = new ServerKey(backend, w.getKey());
                try {
                    if (w.getValue() == dev.canaryrelease.lb.domain.WantedWeight.CONFIGURED) {
                        lb.resetWeight(key);
                    } else {
                        lb.setWeight(key, w.getValue());
                    }
                } catch (LoadBalancerException e) {
                    first = first == null ? e : first;
                    break; // the instance's other servers would fail the same way
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** For reconciliation: sets the state on one instance only. */
    public void setStateOn(HaproxyInstance lb, ServerKey key, AdminState state) {
        lb.setState(key, state);
    }

    /** Admin states of one instance. */
    public Map<ServerKey, AdminState> adminStates(HaproxyInstance lb) {
        return lb.adminStates();
    }
}
