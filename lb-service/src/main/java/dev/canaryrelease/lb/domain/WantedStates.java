package dev.canaryrelease.lb.domain;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The admin state every server should have, as decided by this service: rebuilt at start from its
 * snapshot ({@code lb.servers}) and its own {@code lb.events} after it, and updated by its
 * handlers. A state older than the one kept is ignored, so replaying old events never overrides a
 * newer decision.
 *
 * <p>It also holds the per-server locks: {@link #operation} serialises handlers on one server (a
 * redelivered event waits for the first one), {@link #command} is held for the short time a wanted
 * state and the matching Runtime API command are applied, so reconciliation never sees a
 * half-applied decision; {@link #backendLock} makes "count ready servers, then drain" atomic.
 */
@ApplicationScoped
public class WantedStates {
    /** A wanted state, when it was decided and for which release. */
    public record Wanted(AdminState state, Instant at, String releaseId) {}

    private final Map<ServerKey, Wanted> wanted = new ConcurrentHashMap<>();
    private final Map<ServerKey, ReentrantLock> operations = new ConcurrentHashMap<>();
    private final Map<ServerKey, ReentrantLock> commands = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> backends = new ConcurrentHashMap<>();
    private final StateFold fold = new StateFold();
    private final Map<ServerKey, WantedWeight> weights = new ConcurrentHashMap<>();

    /** Keeps the wanted weight {@code w} unless a newer decision is already kept. */
    public void applyWeight(ServerKey key, WantedWeight w) {
        weights.merge(key, w, (old, neu) -> neu.at().isBefore(old.at()) ? old : neu);
    }

    public Optional<WantedWeight> weight(ServerKey key) {
        return Optional.ofNullable(weights.get(key));
    }

    /** The wanted weights of every server this service ever weighted. */
    public Map<ServerKey, WantedWeight> weights() {
        return Map.copyOf(weights);
    }

    /** Keeps {@code w} unless a newer decision is already kept. */
    public void apply(ServerKey key, Wanted w) {
        wanted.merge(key, w, (old, neu) -> neu.at().isBefore(old.at()) ? old : neu);
    }

    /** Puts back an earlier decision (or none) after a failed operation. */
    public void restore(ServerKey key, Wanted previous) {
        if (previous == null) {
            wanted.remove(key);
        } else {
            wanted.put(key, previous);
        }
    }

    public Optional<Wanted> get(ServerKey key) {
        return Optional.ofNullable(wanted.get(key));
    }

    public Map<ServerKey, Wanted> snapshot() {
        return Map.copyOf(wanted);
    }

    /** deploy-service's requests not answered yet: a held server is never raised to ready. */
    public PendingRequests pending() {
        return fold.pending();
    }

    /**
     * What the events say (the start-up replay's fold, kept going by the state consumer), which
     * lb-service's snapshot stores; {@link #apply} also takes the running handlers' decisions.
     */
    public StateFold fold() {
        return fold;
    }

    public ReentrantLock operation(ServerKey key) {
        return operations.computeIfAbsent(key, k -> new ReentrantLock());
    }

    public ReentrantLock command(ServerKey key) {
        return commands.computeIfAbsent(key, k -> new ReentrantLock());
    }

    public ReentrantLock backendLock(String backend) {
        return backends.computeIfAbsent(backend, k -> new ReentrantLock());
    }
}
