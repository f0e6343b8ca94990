package dev.canaryrelease.builder.rest;

import java.time.Instant;

import dev.canaryrelease.builder.domain.BuildRecord;
import dev.canaryrelease.builder.domain.BuildStatus;

/** {@code GET /builds/{releaseId}}: where the build is, its timings and its outcome. */
public record BuildView(
        String releaseId,
        String app,
        String repository,
        String commitSha,
        BuildStatus status,
        Instant queuedAt,
        Instant startedAt,
        Instant finishedAt,
        Long durationMs,
        String image,
        String tag,
        String digest,
        String reason,
        String logLocation) {

    static BuildView of(BuildRecord r) {
        return new BuildView(
                r.releaseId(),
                r.request().app(),
                r.request().repository(),
                r.request().commitSha(),
                r.status(),
                r.queuedAt(),
                r.startedAt(),
                r.finishedAt(),
                r.finishedAt() == null ? null : r.durationMs(),
                r.image(),
                r.tag(),
                r.digest(),
                r.reason(),
                r.logLocation());
    }
}
