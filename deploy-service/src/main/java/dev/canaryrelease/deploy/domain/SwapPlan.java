package dev.canaryrelease.deploy.domain;

import java.util.List;

/**
 * Actions to carry out on a host in order, then what comes next ({@link Then}). Planned by {@link
 * SwapPlanner} from what the host shows; the executor only carries it out.
 *
 * @param summary what the plan does, for the executor's log line
 */
public record SwapPlan(String summary, List<SwapAction> actions, Then then) {
    public SwapPlan {
        actions = List.copyOf(actions);
    }

    /** What follows the actions. */
    public sealed interface Then {}

    /** Observe the host again and plan again: a crash recovery was carried out. */
    public record ObserveAgain(SwapPlanner.Recovery recovery) implements Then {}

    /**
     * Carry out {@code first}, then probe {@code container} until {@link HealthCheck} gives a
     * verdict, and follow {@link SwapPlanner#afterHealth} with it. When {@code refusalIsVerdict},
     * an engine's refusal (not an unreachable engine) during {@code first} or the probe is the
     * verdict (unhealthy, with the refusal as reason).
     */
    public record CheckHealth(
            List<SwapAction> first,
            String container,
            boolean refusalIsVerdict,
            SwapPlanner.AfterHealth after)
            implements Then {
        public CheckHealth {
            first = List.copyOf(first);
        }
    }

    /** Done: report {@code result} (a failure gets the log tail read by the plan). */
    public record Report(SwapResult result) implements Then {}

    /**
     * Restore {@code digest} (an operation of its own, observed and planned anew), whatever it
     * gives, then report {@code result}.
     */
    public record RestoreThenReport(String digest, SwapResult result) implements Then {}

    /** A recovery alone: the host's app containers are consistent now. */
    public record Recovered() implements Then {}
}
