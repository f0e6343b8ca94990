package dev.canaryrelease.lb.domain;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
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
 */
public final class PendingRequests {
    /** Answers kept per server while their request has not been read; the oldest go first. */
    static final int EARLY_ANSWERS_KEPT = 256;

    private final Map<ServerKey, LinkedHashSet<String>> open = new HashMap<>();
    private final Map<ServerKey, Deque<String>> early = new HashMap<>();

    /** A request on {@code key} with event id {@code id} was read. */
    public synchronized void requested(ServerKey key, String id) {
        Deque<String> answers = early.get(key);
        if (answers != null && answers.remove(id)) {
            return;
        }
        open.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(id);
    }

    /** An answer on {@code key} caused by event {@code causationId} was read. */
    public synchronized void answered(ServerKey key, String causationId) {
        if (causationId == null) {
            return;
        }
        Set<String> requests = open.get(key);
        if (requests != null && requests.contains(causationId)) {
            var it = requests.iterator();
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
        Set<String> requests = open.get(key);
        return requests != null && !requests.isEmpty();
    }

    /**
     * What is kept for one server: the open requests in the order read, and the answers read before
     * their request (oldest first).
     */
    public record Held(List<String> open, List<String> early) {
        public Held {
            open = open == null ? List.of() : List.copyOf(open);
            early = early == null ? List.of() : List.copyOf(early);
        }

        public boolean none() {
            return open.isEmpty() && early.isEmpty();
        }
    }

    /** What is kept for {@code key} (for a snapshot). */
    public synchronized Held of(ServerKey key) {
        return new Held(
                List.copyOf(open.getOrDefault(key, new LinkedHashSet<>())),
                List.copyOf(early.getOrDefault(key, new ArrayDeque<>())));
    }

    /** Every server something is kept for. */
    public synchronized Set<ServerKey> servers() {
        Set<ServerKey> keys = new HashSet<>(open.keySet());
        keys.addAll(early.keySet());
        return keys;
    }

    /** Puts back what a snapshot kept for {@code key}, replacing what is kept now. */
    public synchronized void restore(ServerKey key, Held held) {
        open.remove(key);
        early.remove(key);
        if (!held.open().isEmpty()) {
            open.put(key, new LinkedHashSet<>(held.open()));
        }
        if (!held.early().isEmpty()) {
            early.put(key, new ArrayDeque<>(held.early()));
        }
    }
}
