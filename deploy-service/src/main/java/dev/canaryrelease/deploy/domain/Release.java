package dev.canaryrelease.deploy.domain;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.canaryrelease.events.release.Phase;

/**
 * One release of one app: its phase, the image it rolls out (by digest), every host it touched or
 * will touch, the promotion plan and where it is in it. Immutable: the state machine returns a new
 * one.
 *
 * @param queued the image waits for the app's running rollout to end
 * @param canaryLiveAt when every canary host served the image (the bake time starts there)
 * @param pushedBy the registry user who pushed the image ({@code image.pushed.pushedBy}; null when
 *     not known)
 * @param promotionDeadline when a running promotion is aborted if it has not ended (null: not
 *     promoting, or a release promoted before this field existed, whose one deadline timer counts)
 * @param pausedAt when the promotion was paused (null: not paused); the time paused does not count
 *     against the promotion deadline
 * @param analysisFailures the canary analysis's failed windows so far (counted from {@code
 *     canary.live}, and again from the promotion's start); {@code failureLimit} of them abort
 * @param weightStep the weighted step the canary is at ({@code apps[].analysis.weights}, 1-based;
 *     0: not weighted). A passed window moves it on; it stays when the release leaves the canary
 */
public record Release(
        String id,
        String app,
        Phase phase,
        String digest,
        String repository,
        String tag,
        Map<String, HostProgress> hosts,
        List<List<String>> plan,
        int batch,
        boolean queued,
        Instant canaryLiveAt,
        String supersededBy,
        String reason,
        Instant updatedAt,
        String pushedBy,
        Instant promotionDeadline,
        Instant pausedAt,
        int analysisFailures,
        int weightStep) {

    public Release {
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
        plan = List.copyOf(plan);
    }

    public static Release pending(String id, String app, Instant at) {
        return new Release(
                id,
                app,
                Phase.PENDING,
                null,
                null,
                null,
                Map.of(),
                List.of(),
                0,
                false,
                null,
                null,
                null,
                at,
                null,
                null,
                null,
                0,
                0);
    }

    /** No host of this release is out of the pool or waiting to go back. */
    public boolean settled() {
        return hosts.values().stream()
                .noneMatch(h -> h.step().inFlight() || h.step() == HostStep.REVERT_PENDING);
    }

    /** Holds the app's one rollout slot: another image must wait or supersede it. */
    public boolean blocking() {
        return !settled()
                || phase == Phase.CANARY_UPDATING
                || phase == Phase.CANARY_LIVE
                || phase == Phase.PROMOTING
                || phase == Phase.PAUSED
                || phase == Phase.ROLLING_BACK;
    }

    /**
     * The promotion deadline timer set for {@code at} is the release's current one and has come:
     * the release still promotes (not paused, not ended) and no pause moved its deadline since.
     */
    public boolean promotionDeadlineDue(Instant at) {
        return phase == Phase.PROMOTING
                && (promotionDeadline == null || promotionDeadline.equals(at));
    }

    public HostProgress host(String name) {
        return hosts.get(name);
    }
}
