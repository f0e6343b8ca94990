package dev.canaryrelease.deploy.domain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.fleet.Fleet;

/**
 * The rollout policy as the state machine needs it: which hosts are canaries, the others in order,
 * the promotion steps (counts or percentages of the remaining hosts), maxUnavailable, autoPromote,
 * how long a promotion may take before it is aborted, and each analysed app's thresholds ({@code
 * apps[].analysis}) with whether a passed window promotes ({@code autoPromote: analysis}).
 */
public record Policy(
        List<String> canaryHosts,
        List<String> productionHosts,
        List<String> steps,
        int maxUnavailable,
        boolean autoPromote,
        Duration bakeTime,
        Duration promotionDeadline,
        Duration drainAnswerDeadline,
        Duration enableAnswerDeadline,
        Map<String, Fleet.Analysis> analysis,
        boolean promoteOnAnalysis) {

    /** The fleet's default promotion deadline (30 minutes). */
    public static final Duration DEFAULT_PROMOTION_DEADLINE = Duration.ofMinutes(30);

    /**
     * How long deploy-service waits for lb-service's answer beyond the fleet's drain or enable
     * deadline by default (the {@code canary.deploy.lb-answer-margin} default): long enough to
     * outlast a restart of lb-service or a broker outage of several minutes.
     */
    public static final Duration DEFAULT_LB_ANSWER_MARGIN = Duration.ofMinutes(10);

    /** A policy of apps without canary analysis. */
    public Policy(
            List<String> canaryHosts,
            List<String> productionHosts,
            List<String> steps,
            int maxUnavailable,
            boolean autoPromote,
            Duration bakeTime,
            Duration promotionDeadline,
            Duration drainAnswerDeadline,
            Duration enableAnswerDeadline) {
        this(
                canaryHosts,
                productionHosts,
                steps,
                maxUnavailable,
                autoPromote,
                bakeTime,
                promotionDeadline,
                drainAnswerDeadline,
                enableAnswerDeadline,
                Map.of(),
                false);
    }

    public Policy(
            List<String> canaryHosts,
            List<String> productionHosts,
            List<String> steps,
            int maxUnavailable,
            boolean autoPromote,
            Duration bakeTime,
            Duration promotionDeadline) {
        this(
                canaryHosts,
                productionHosts,
                steps,
                maxUnavailable,
                autoPromote,
                bakeTime,
                promotionDeadline,
                DEFAULT_LB_ANSWER_MARGIN,
                DEFAULT_LB_ANSWER_MARGIN);
    }

    public Policy(
            List<String> canaryHosts,
            List<String> productionHosts,
            List<String> steps,
            int maxUnavailable,
            boolean autoPromote,
            Duration bakeTime) {
        this(
                canaryHosts,
                productionHosts,
                steps,
                maxUnavailable,
                autoPromote,
                bakeTime,
                DEFAULT_PROMOTION_DEADLINE);
    }

    public Policy {
        canaryHosts = List.copyOf(canaryHosts);
        productionHosts = List.copyOf(productionHosts);
        steps = steps.isEmpty() ? List.of("1") : List.copyOf(steps);
        maxUnavailable = Math.max(1, maxUnavailable);
        analysis = Map.copyOf(analysis);
    }

    /**
     * The same policy with canary analysis for these apps; {@code promoteOnAnalysis}: a passed
     * window promotes ({@code autoPromote: analysis}).
     */
    public Policy withAnalysis(Map<String, Fleet.Analysis> apps, boolean promoteOnAnalysis) {
        return new Policy(
                canaryHosts,
                productionHosts,
                steps,
                maxUnavailable,
                autoPromote,
                bakeTime,
                promotionDeadline,
                drainAnswerDeadline,
                enableAnswerDeadline,
                apps,
                promoteOnAnalysis);
    }

    /** The app's analysis thresholds (null: the app is not analysed). */
    public Fleet.Analysis analysisOf(String app) {
        return analysis.get(app);
    }

    public static Policy of(Fleet fleet) {
        return of(fleet, DEFAULT_LB_ANSWER_MARGIN);
    }

    /**
     * The fleet's policy; lb-service's answers are awaited for the fleet's drain (enable) deadline
     * plus {@code lbAnswerMargin}.
     */
    public static Policy of(Fleet fleet, Duration lbAnswerMargin) {
        Fleet.Rollout r = fleet.rollout();
        List<String> canary =
                fleet.dockerHosts().stream()
                        .map(Fleet.Host::name)
                        .filter(r.canary()::contains)
                        .toList();
        return new Policy(
                canary,
                fleet.productionHosts().stream().map(Fleet.Host::name).toList(),
                r.steps(),
                r.maxUnavailable(),
                r.autoPromote(),
                r.bakeTime(),
                r.promotionTimeout(),
                r.drainTimeout().plus(lbAnswerMargin),
                r.enableTimeout().plus(lbAnswerMargin),
                fleet.apps().stream()
                        .filter(a -> a.analysis().isPresent())
                        .collect(
                                java.util.stream.Collectors.toMap(
                                        Fleet.App::name, a -> a.analysis().get())),
                r.promoteOnAnalysis());
    }

    /** How long a host may wait in {@code step} for lb-service's answer (null: no deadline). */
    public Duration answerDeadline(HostStep step) {
        String awaited = step.awaitedAnswer();
        if (awaited == null) {
            return null;
        }
        return awaited.equals("host.drained") ? drainAnswerDeadline : enableAnswerDeadline;
    }

    /**
     * The promotion batches: each step takes a count, or a percentage (rounded up) of the hosts
     * still to update; the last step repeats until every host is planned.
     */
    public List<List<String>> batches() {
        List<List<String>> plan = new ArrayList<>();
        int done = 0;
        int total = productionHosts.size();
        int i = 0;
        while (done < total) {
            String step = steps.get(Math.min(i++, steps.size() - 1)).trim();
            int remaining = total - done;
            int n;
            if (step.endsWith("%")) {
                double pct = Double.parseDouble(step.substring(0, step.length() - 1));
                n = (int) Math.ceil(remaining * pct / 100.0);
            } else {
                n = Integer.parseInt(step);
            }
            n = Math.max(1, Math.min(n, remaining));
            plan.add(List.copyOf(productionHosts.subList(done, done + n)));
            done += n;
        }
        return plan;
    }
}
