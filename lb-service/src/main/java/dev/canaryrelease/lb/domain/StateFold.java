package dev.canaryrelease.lb.domain;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryWeightSet;
import dev.canaryrelease.events.model.HostDrainFailed;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.lb.domain.PendingRequests.Held;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;

/**
 * What lb-service's events say about every server, and how far they were read: the fold of {@code
 * lb.events} and {@code deploy.events} that the start-up replay builds and the state consumer keeps
 * going, and that lb-service's snapshot ({@code lb.servers}) stores. Pure: no Kafka.
 *
 * <ul>
 *   <li>From {@code lb.events}: {@code host.drained} and {@code host.enable-failed} want the server
 *       in maint, {@code host.enabled} wants it ready (a newer decision wins over an older one, by
 *       event time), and each answers its request; {@code host.drain-failed} only answers it.
 *   <li>From {@code deploy.events}: {@code host.update-requested}, {@code host.updated} and {@code
 *       host.update-failed} open a request on the server ({@link PendingRequests}).
 *   <li>Per {@code topic:partition}, the next offset to read: a record is applied and passed in one
 *       step, so a snapshot never holds an event without the position after it.
 * </ul>
 *
 * It holds the events' decisions only, never the running handlers' (which go ahead of their
 * events): what is stored is what a replay of the whole history would rebuild.
 */
public final class StateFold {
    /**
     * One server as the fold keeps it: its wanted state (null: none yet), its requests, and its
     * wanted weight (null: never weighted; a snapshot written before weights has none).
     */
    public record Server(ServerKey key, Wanted wanted, Held held, WantedWeight weight) {
        public Server(ServerKey key, Wanted wanted, Held held) {
            this(key, wanted, held, null);
        }
    }

    /** What changed since the last {@link #take}, and the positions it covers. */
    public record Snapshot(List<Server> servers, Map<String, Long> next) {}

    private final Map<ServerKey, Wanted> wanted = new HashMap<>();
    private final Map<ServerKey, WantedWeight> weights = new HashMap<>();
    private final PendingRequests pending = new PendingRequests();
    private final Map<String, Long> next = new HashMap<>();
    private final Set<ServerKey> changed = new HashSet<>();
    private boolean positionsChanged;

    /** deploy-service's requests not answered yet. */
    public PendingRequests pending() {
        return pending;
    }

    /** {@code topic:partition}, the positions' key. */
    public static String position(String topic, int partition) {
        return topic + ":" + partition;
    }

    /**
     * Applies the record at {@code offset} of {@code topic}'s {@code partition} and passes it.
     *
     * @param event the record's event; empty for one that is unreadable or of a type this version
     *     does not know (only passed)
     * @param serverOf the HAProxy server of an app's host (empty: an app the fleet does not have)
     * @return the wanted state the event decided, if any (the caller keeps it in the live states)
     */
    public synchronized Optional<Server> apply(
            String topic,
            int partition,
            long offset,
            Optional<EventEnvelope<CanaryEvent>> event,
            BiFunction<String, String, Optional<ServerKey>> serverOf) {
        Optional<Server> kept = event.flatMap(e -> apply(topic, e, serverOf));
        passed(topic, partition, offset);
        return kept;
    }

    private Optional<Server> apply(
            String topic,
            EventEnvelope<CanaryEvent> e,
            BiFunction<String, String, Optional<ServerKey>> serverOf) {
        CanaryEvent d = e.data();
        if (Topics.DEPLOY.equals(topic)) {
            Optional<ServerKey> key = Optional.empty();
            if (d instanceof HostUpdateRequested r) {
                key = serverOf.apply(r.app(), r.host());
            } else if (d instanceof HostUpdated u) {
                key = serverOf.apply(u.app(), u.host());
            } else if (d instanceof HostUpdateFailed f) {
                key = serverOf.apply(f.app(), f.host());
            }
            key.ifPresent(
                    k -> {
                        pending.requested(k, e.id(), e.time());
                        changed.add(k);
                    });
            return Optional.empty();
        }
        if (d instanceof HostDrained x) {
            return keep(e, serverOf.apply(x.app(), x.host()), AdminState.MAINT);
        } else if (d instanceof HostEnableFailed x) {
            return keep(e, serverOf.apply(x.app(), x.host()), AdminState.MAINT);
        } else if (d instanceof HostEnabled x) {
            return keep(e, serverOf.apply(x.app(), x.host()), AdminState.READY);
        } else if (d instanceof CanaryWeightSet x) {
            // lb-service's own decision of the backend's weights: kept until a newer one
            for (Map.Entry<String, Integer> w : x.weights().entrySet()) {
                ServerKey k = new ServerKey(x.backend(), w.getKey());
                int weight = x.step() == 0 ? WantedWeight.CONFIGURED : w.getValue();
                weights.merge(
                        k,
                        new WantedWeight(weight, e.time(), e.releaseId()),
                        (old, neu) -> neu.at().isBefore(old.at()) ? old : neu);
                changed.add(k);
            }
            return Optional.empty();
        } else if (d instanceof HostDrainFailed x) {
            // The server was left (or put back) as it was: only the request is answered.
            serverOf.apply(x.app(), x.host()).ifPresent(k -> answered(k, e));
        }
        return Optional.empty();
    }

    private Optional<Server> keep(
            EventEnvelope<CanaryEvent> e, Optional<ServerKey> key, AdminState state) {
        return key.map(
                k -> {
                    Wanted w = new Wanted(state, e.time(), e.releaseId());
                    wanted.merge(k, w, (old, neu) -> neu.at().isBefore(old.at()) ? old : neu);
                    answered(k, e);
                    return new Server(k, w, null);
                });
    }

    private void answered(ServerKey key, EventEnvelope<CanaryEvent> e) {
        pending.answered(key, e.causationId());
        changed.add(key);
    }

    /** The record at {@code offset} was read (applied or not). */
    public synchronized void passed(String topic, int partition, long offset) {
        Long before = next.get(position(topic, partition));
        if (before == null || before < offset + 1) {
            next.put(position(topic, partition), offset + 1);
            positionsChanged = true;
        }
    }

    /** The next offset to read per {@code topic:partition}. */
    public synchronized Map<String, Long> next() {
        return Map.copyOf(next);
    }

    /** The wanted weight the events decided for {@code key}. */
    public synchronized Optional<WantedWeight> weight(ServerKey key) {
        return Optional.ofNullable(weights.get(key));
    }

    /** The wanted state the events decided for {@code key}. */
    public synchronized Optional<Wanted> wanted(ServerKey key) {
        return Optional.ofNullable(wanted.get(key));
    }

    /**
     * The servers changed since the last call, and the positions; empty when neither changed. What
     * it hands over counts as written until {@link #unwritten} says otherwise.
     */
    public synchronized Optional<Snapshot> take() {
        if (changed.isEmpty() && !positionsChanged) {
            return Optional.empty();
        }
        List<Server> servers =
                changed.stream()
                        .sorted(java.util.Comparator.comparing(ServerKey::toString))
                        .map(k -> new Server(k, wanted.get(k), pending.of(k), weights.get(k)))
                        .toList();
        changed.clear();
        positionsChanged = false;
        return Optional.of(new Snapshot(servers, Map.copyOf(next)));
    }

    /** A {@link #take}n snapshot could not be written: it is handed over again next time. */
    public synchronized void unwritten(Snapshot s) {
        s.servers().forEach(x -> changed.add(x.key()));
        positionsChanged = true;
    }

    /** Starts from a snapshot: its servers and the positions they cover (nothing changed). */
    public synchronized void restore(List<Server> servers, Map<String, Long> positions) {
        for (Server s : servers) {
            if (s.wanted() != null) {
                wanted.put(s.key(), s.wanted());
            }
            if (s.weight() != null) {
                weights.put(s.key(), s.weight());
            }
            pending.restore(
                    s.key(),
                    s.held() == null ? new Held(List.of(), List.of(), Map.of()) : s.held(),
                    java.time.Instant.now());
        }
        next.putAll(positions);
    }
}
