package dev.canaryrelease.events;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The order in which a service replays history read from several partitions, which never depends on
 * the producers' clocks alone: every partition's records stay in their offset order, and an event
 * never comes before its cause ({@code causationId}) when the cause is in the history. Among the
 * events free to go next, the one with the earliest CloudEvent time goes first (a tie goes to the
 * partition given first). A history written for real always has such an order (a cause is appended
 * before its effect); a history that has none (a cause only behind its own effect) falls back to
 * the earliest head, so the replay still ends.
 */
public final class ReplayOrder {
    private ReplayOrder() {}

    /** Merges {@code partitions} (each in offset order) into one replay order. */
    public static <E extends EventEnvelope<?>> List<E> merge(List<List<E>> partitions) {
        Set<String> all = new HashSet<>();
        int total = 0;
        for (List<E> p : partitions) {
            for (E e : p) all.add(e.id());
            total += p.size();
        }
        int[] next = new int[partitions.size()];
        Set<String> done = new HashSet<>();
        List<E> out = new ArrayList<>(total);
        while (out.size() < total) {
            int best = pick(partitions, next, e -> free(e, all, done));
            if (best < 0) best = pick(partitions, next, e -> true);
            E e = partitions.get(best).get(next[best]++);
            done.add(e.id());
            out.add(e);
        }
        return out;
    }

    private static boolean free(EventEnvelope<?> e, Set<String> all, Set<String> done) {
        String cause = e.causationId();
        return cause == null || !all.contains(cause) || done.contains(cause);
    }

    private static <E extends EventEnvelope<?>> int pick(
            List<List<E>> partitions, int[] next, java.util.function.Predicate<E> ok) {
        int best = -1;
        for (int i = 0; i < partitions.size(); i++) {
            List<E> p = partitions.get(i);
            if (next[i] >= p.size()) continue;
            E head = p.get(next[i]);
            if (!ok.test(head)) continue;
            if (best < 0 || head.time().isBefore(partitions.get(best).get(next[best]).time())) {
                best = i;
            }
        }
        return best;
    }
}
