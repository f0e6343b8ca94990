package dev.canaryrelease.lb.domain;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * deploy-service's requests on a server ({@code host.update-requested}, {@code host.updated},
 * {@code host.update-failed}) that lb-service has not answered yet on {@code lb.events} (an answer
 * carries its request's id as causation id). A server with an open request is <em>held</em>: its
 * next state is that request's to decide (a drain in progress before a restart is resumed by the
 * redelivered request), so reconciliation never raises it to ready. Matching is by id, not by time
 * or by the order of the two topics, which a replay interleaves arbitrarily: an answer read before
 * its request is kept until the request comes. An answer also closes the server's requests that
 * came before its own (one that was never answered, e.g. dead-lettered, does not hold the server
 * for ever).
 *
 * <p>A request also stops holding its server once it is older than the caller's limit ({@link
 * #held(ServerKey, Instant)}): a request whose record is gone (retention, or lost) is never
 * redelivered, so nothing would ever answer it, and the server would stay out of the pool for ever.
 * It is still kept (an answer may still come) until an answer closes it.
 */
public final class PendingRequests {
    /** Answers kept per server while their request has not been read; the oldest go first. */
    static final int EARLY_ANSWERS_KEPT = 256;

    // open request id → when it was requested (its event time), in the order read
    private final Map<ServerKey, LinkedHashMap<String, Instant>> open = new HashMap<>();
    private final Map<ServerKey, Deque<String>> early = new HashMap<>();

    /** A request on {@code key} with event id {@code id}, made at {@code at}, was read. */
    public synchronized void requested(ServerKey key, String id, Instant at) {
        Deque<String> answers = early.get(key);
        if (answers != null && answers.remove(id)) {
            return;
        }
        open.computeIfAbsent(key, k -> new LinkedHashMap<>()).putIfAbsent(id, at);
    }

    /** An answer on {@code key} caused by event {@code causationId} was read. */
    public synchronized void answered(ServerKey key, String causationId) {
        if (causationId == null) {
            return;
        }
        LinkedHashMap<String, Instant> requests = open.get(key);
        if (requests != null && requests.containsKey(causationId)) {
            var it = requests.keySet().iterator();
            while (it.hasNext()) {
                boolean last = it.next().equals(causationId);
                it.remove();
                if (last) {
                    break;
                }
            }
            return;
        }
        Deque<String> answers = early.computeIfAbsent(key, k -> new ArrayDeque<>());
        answers.addLast(causationId);
        if (answers.size() > EARLY_ANSWERS_KEPT) {
            answers.removeFirst();
        }
    }

    /** Whether a request on {@code key} waits for its answer. */
    public synchronized boolean held(ServerKey key) {
        Map<String, Instant> requests = open.get(key);
        return requests != null && !requests.isEmpty();
    }

    /**
     * Whether a request on {@code key} made at or after {@code notBefore} waits for its answer: an
     * older one no longer holds the server (its answer is overdue by far; see the class comment).
     */
    public synchronized boolean held(ServerKey key, Instant notBefore) {
        Map<String, Instant> requests = open.get(key);
        return requests != null
                && requests.values().stream().anyMatch(at -> !at.isBefore(notBefore));
    }

    /** The requests on {@code key} still unanswered that were made before {@code notBefore}. */
    public synchronized Map<String, Instant> overdue(ServerKey key, Instant notBefore) {
        Map<String, Instant> found = new LinkedHashMap<>();
        open.getOrDefault(key, new LinkedHashMap<>())
                .forEach(
                        (id, at) -> {
                            if (at.isBefore(notBefore)) {
                                found.put(id, at);
                            }
                        });
        return found;
    }

    /**
     * What is kept for one server: the open requests in the order read, the answers read before
     * their request (oldest first), and when each open request was made ({@code openedAt}; a
     * snapshot written before it was kept has none, and such a request counts from when the
     * snapshot is restored).
     */
    public record Held(List<String> open, List<String> early, Map<String, Instant> openedAt) {
        public Held {
            open = open == null ? List.of() : List.copyOf(open);
            early = early == null ? List.of() : List.copyOf(early);
            openedAt = openedAt == null ? Map.of() : Map.copyOf(openedAt);
        }

        public boolean none() {
            return open.isEmpty() && early.isEmpty();
        }
    }

    /** What is kept for {@code key} (for a snapshot). */
    public synchronized Held of(ServerKey key) {
        LinkedHashMap<String, Instant> requests = open.getOrDefault(key, new LinkedHashMap<>());
        return new Held(
                List.copyOf(requests.keySet()),
                List.copyOf(early.getOrDefault(key, new ArrayDeque<>())),
                requests);
    }

    /** Every server something is kept for. */
    public synchronized Set<ServerKey> servers() {
        Set<ServerKey> keys = new HashSet<>(open.keySet());
        keys.addAll(early.keySet());
        return keys;
    }

    /**
     * Puts back what a snapshot kept for {@code key}, replacing what is kept now; a request without
     * its time counts from {@code now}.
     */
    public synchronized void restore(ServerKey key, Held held, Instant now) {
        open.remove(key);
        early.remove(key);
        if (!held.open().isEmpty()) {
            LinkedHashMap<String, Instant> requests = new LinkedHashMap<>();
            held.open().forEach(id -> requests.put(id, held.openedAt().getOrDefault(id, now)));
            open.put(key, requests);
        }
        if (!held.early().isEmpty()) {
            early.put(key, new ArrayDeque<>(held.early()));
        }
    }
}
