package dev.canaryrelease.lb.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The HAProxy server weights that give a canary its share of a backend's traffic. Pure. With {@code
 * balance roundrobin} a server's share is its weight over the sum of the weights of the servers in
 * rotation; HAProxy's weights are whole numbers from 0 to 256 ({@code set weight}), so a share such
 * as 5 % needs the other servers raised too: every canary server gets the weight {@code c} and
 * every other server the weight {@code b}, the pair from 1..256 whose share {@code k·c / (k·c +
 * n·b)} ({@code k} canary servers, {@code n} others) is nearest to the wanted one, with the
 * smallest {@code b} among equals (5 % of three servers: 2 against 19 and 19, exactly 5 %; 25 %: 2
 * against 3 and 3).
 */
public final class WeightPlan {
    /** The largest weight HAProxy takes. */
    public static final int MAX_WEIGHT = 256;

    private WeightPlan() {}

    /** The weight of each server of the backend, and the canary's share they give. */
    public record Plan(Map<String, Integer> weights, double share) {}

    /**
     * @param share the canary's wanted share, above 0 and below 1
     * @param canaryHosts the canary servers (named after their hosts)
     * @param servers every server of the backend
     * @throws IllegalArgumentException when the backend has no canary server or no other server
     *     (the sentence says which)
     */
    public static Plan plan(
            double share, Collection<String> canaryHosts, Collection<String> servers) {
        Set<String> all = new TreeSet<>(servers);
        List<String> canaries = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (String s : all) (canaryHosts.contains(s) ? canaries : others).add(s);
        if (canaries.isEmpty()) {
            throw new IllegalArgumentException(
                    "none of the canary hosts " + canaryHosts + " is a server of the backend");
        }
        if (others.isEmpty()) {
            throw new IllegalArgumentException(
                    "the backend has no server besides the canary " + canaries);
        }
        if (!(share > 0 && share < 1)) {
            throw new IllegalArgumentException(share + " is not a share between 0 and 1");
        }
        int k = canaries.size();
        int n = others.size();
        int bestC = 1;
        int bestB = 1;
        double bestErr = Double.MAX_VALUE;
        for (int b = 1; b <= MAX_WEIGHT; b++) {
            long c = Math.round(share * n * b / ((1 - share) * k));
            c = Math.max(1, Math.min(MAX_WEIGHT, c));
            double err = Math.abs(share(k, (int) c, n, b) - share);
            if (err < bestErr - 1e-12) {
                bestErr = err;
                bestC = (int) c;
                bestB = b;
            }
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String s : all) weights.put(s, canaries.contains(s) ? bestC : bestB);
        return new Plan(Map.copyOf(weights), share(k, bestC, n, bestB));
    }

    /** The canary servers' share of the traffic by the weights {@code weights}. */
    public static double shareOf(Map<String, Integer> weights, Collection<String> canaryHosts) {
        long canary = 0;
        long all = 0;
        for (Map.Entry<String, Integer> w : weights.entrySet()) {
            all += w.getValue();
            if (canaryHosts.contains(w.getKey())) canary += w.getValue();
        }
        return all == 0 ? 0 : (double) canary / all;
    }

    private static double share(int k, int c, int n, int b) {
        return (double) k * c / ((double) k * c + (double) n * b);
    }
}
