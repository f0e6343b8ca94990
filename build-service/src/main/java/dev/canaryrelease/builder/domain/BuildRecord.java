package dev.canaryrelease.builder.domain;

import java.time.Duration;
import java.time.Instant;

import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * What build-service knows of one release's build; kept as {@code builds/<release>.json} so a
 * restart resumes queued builds and a redelivered request re-emits a finished build's result.
 *
 * @param request the {@code build.requested} data
 * @param causeId id of the {@code build.requested} event (causation of the events emitted)
 * @param image {@code <registry>/<image>} without tag
 * @param tag the first 12 characters of the commit
 * @param digest the pushed manifest digest
 * @param reason why it failed (null unless failed)
 */
public record BuildRecord(
        BuildRequested request,
        String causeId,
        BuildStatus status,
        Instant queuedAt,
        Instant startedAt,
        Instant finishedAt,
        String image,
        String tag,
        String digest,
        String reason,
        String logLocation) {

    public static BuildRecord queued(
            BuildRequested request, String causeId, Instant now, String logLocation) {
        return new BuildRecord(
                request,
                causeId,
                BuildStatus.QUEUED,
                now,
                null,
                null,
                null,
                null,
                null,
                null,
                logLocation);
    }

    public String releaseId() {
        return request.releaseId();
    }

    public BuildRecord running(Instant now) {
        return new BuildRecord(
                request,
                causeId,
                BuildStatus.RUNNING,
                queuedAt,
                now,
                null,
                null,
                null,
                null,
                null,
                logLocation);
    }

    public BuildRecord succeeded(Instant now, String image, String tag, String digest) {
        return new BuildRecord(
                request,
                causeId,
                BuildStatus.SUCCEEDED,
                queuedAt,
                startedAt,
                now,
                image,
                tag,
                digest,
                null,
                logLocation);
    }

    public BuildRecord failed(Instant now, String reason) {
        return new BuildRecord(
                request,
                causeId,
                BuildStatus.FAILED,
                queuedAt,
                startedAt,
                now,
                image,
                tag,
                null,
                reason,
                logLocation);
    }

    /** Milliseconds from start (or queueing, if it never started) to the end; -1 if running. */
    public long durationMs() {
        if (finishedAt == null) {
            return -1;
        }
        Instant from = startedAt != null ? startedAt : queuedAt;
        return Duration.between(from, finishedAt).toMillis();
    }

    /** The event that reports this finished build. */
    public CanaryEvent result() {
        return switch (status) {
            case SUCCEEDED ->
                    new BuildSucceeded(
                            releaseId(),
                            request.app(),
                            image,
                            tag,
                            digest,
                            durationMs(),
                            logLocation);
            case FAILED ->
                    new BuildFailed(releaseId(), request.app(), reason, durationMs(), logLocation);
            default -> throw new IllegalStateException("build " + releaseId() + " is " + status);
        };
    }
}
