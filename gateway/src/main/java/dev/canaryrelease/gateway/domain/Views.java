package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.List;

import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.release.Phase;

/** Read-only snapshots of the read model, as the REST API returns them. */
public final class Views {
    private Views() {}

    /** One line of {@code GET /releases}. */
    public record ReleaseSummary(
            String id,
            String app,
            Phase state,
            String ref,
            String commitSha,
            String pusher,
            String digest,
            Instant createdAt,
            Instant updatedAt) {}

    /**
     * {@code GET /releases/{id}}. {@code earlierEvents}: how many of the release's oldest events
     * are folded into its fields but no longer in {@code timeline} ({@code
     * canary.gateway.timeline-events}); 0 for almost every release. {@code analysis}: the canary
     * analysis's latest windows and weighted steps ({@link AnalysisView}; null without any).
     */
    public record ReleaseDetail(
            String id,
            String app,
            Phase state,
            String repository,
            String ref,
            String commitSha,
            String pusher,
            String deliveryId,
            String image,
            String tag,
            String digest,
            String reason,
            Instant createdAt,
            Instant updatedAt,
            List<HostStatus> hosts,
            List<TimelineEntry> timeline,
            int earlierEvents,
            AnalysisView.Analysis analysis) {}

    /**
     * A docker host of the fleet as the events describe it now, for the release's app: the digest
     * it runs, its state in the load balancer and whether it runs this release.
     */
    public record HostStatus(
            String name,
            String role,
            String digest,
            String previousDigest,
            String lbState,
            boolean runsRelease,
            String lastStage,
            String lastReleaseId,
            Instant updatedAt) {}

    /** One event of a release's timeline. */
    public record TimelineEntry(
            String id,
            String type,
            Instant time,
            String source,
            String causationId,
            String position,
            CanaryEvent data) {}

    /** A page of releases. */
    public record Page<T>(List<T> items, int page, int size, long total) {}
}
