package dev.canaryrelease.gateway.domain;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.canaryrelease.events.release.Phase;

/**
 * What the gateway writes to its compacted topics, as JSON: {@code gateway.releases} (the index,
 * read whole at start) and {@code gateway.release-details} (one release's timeline, read by offset
 * when asked for). See {@code ReleaseSnapshots}.
 */
public final class Stored {
    private Stored() {}

    /**
     * One release in the index ({@code release:<id>}): what {@code GET /releases} lists and the
     * push dedupe needs, and where its detail is.
     *
     * @param detailPartition partition of its last detail record in {@code
     *     gateway.release-details}, -1 while none is written
     * @param detailOffset offset of that record, -1 while none is written
     */
    public record Summary(
            String id,
            String app,
            Phase state,
            String repository,
            String ref,
            String commitSha,
            String pusher,
            String deliveryId,
            String digest,
            Instant createdAt,
            Instant updatedAt,
            int detailPartition,
            long detailOffset) {

        public boolean stored() {
            return detailOffset >= 0;
        }

        Summary withDetail(int partition, long offset) {
            return new Summary(
                    id,
                    app,
                    state,
                    repository,
                    ref,
                    commitSha,
                    pusher,
                    deliveryId,
                    digest,
                    createdAt,
                    updatedAt,
                    partition,
                    offset);
        }
    }

    /** One event of a release's timeline: the CloudEvent and where it was read. */
    public record Event(
            long seq,
            String position,
            String id,
            String type,
            String source,
            String subject,
            Instant time,
            String causationId,
            JsonNode data) {}

    /**
     * A release's fields as its events made them (the fold of events no longer in the timeline).
     */
    public record Fold(
            String app,
            String repository,
            String ref,
            String commitSha,
            String pusher,
            String deliveryId,
            String image,
            String tag,
            String digest,
            String reason,
            Phase state,
            Instant firstAt,
            Instant lastAt) {}

    /**
     * One release's detail ({@code gateway.release-details}, key: the release id).
     *
     * @param base the fold of the {@code dropped} oldest events, no longer in {@code events}
     * @param positions per {@code topic:partition}, the offset of the last event applied
     */
    public record Detail(
            String id, Fold base, int dropped, Map<String, Long> positions, List<Event> events) {}

    /** A docker host of an app as the events describe it (times null when never set). */
    public record Host(
            String digest,
            String previousDigest,
            Instant digestAt,
            String lbState,
            Instant lbAt,
            String lastStage,
            String lastReleaseId,
            Instant updatedAt) {}

    /** Every host of an app ({@code hosts:<app>}). */
    public record Hosts(String app, Map<String, Host> hosts) {}

    /**
     * What the other records cover ({@code checkpoint}): per {@code topic:partition} of the event
     * topics, the offset of the next record to read.
     */
    public record Checkpoint(Map<String, Long> next) {}
}
