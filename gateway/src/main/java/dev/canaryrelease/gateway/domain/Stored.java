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

    /**
     * One page of settled summaries that left memory ({@code gateway.release-pages}, key {@code
     * page:<seq>:<chain>}; chain {@code *} is every app's, otherwise one app's), newest first.
     */
    public record Page(String chain, long seq, List<Summary> releases) {}

    /**
     * Where one page is and what it holds ({@code pages:<chain>} in {@code gateway.releases}, the
     * directory of one chain, read at start).
     *
     * @param states how many of its releases are in each state
     * @param newestAt the first release's {@code createdAt} (with {@code newestId}: its place in
     *     the order of the list)
     */
    public record PageRef(
            long seq,
            int count,
            Map<Phase, Integer> states,
            Instant newestAt,
            String newestId,
            Instant oldestAt,
            String oldestId,
            int partition,
            long offset) {}

    /** One chain's directory ({@code pages:<chain>}): its pages, newest first. */
    public record Chain(String chain, List<PageRef> pages) {}

    /**
     * The paged releases by id ({@code gateway.release-pages}, key {@code bucket:<n>}, {@code n}
     * the id's hash modulo the bucket count): how {@code GET /releases/{id}} finds an old release's
     * summary, and so its detail, without the whole index.
     */
    public record Bucket(int bucket, Map<String, Summary> releases) {}

    /**
     * Where each bucket is ({@code buckets} in {@code gateway.releases}), the next page number, and
     * the releases whose summaries left memory but whose {@code release:<id>} tombstone may not be
     * written yet (a start drops them from what it reads).
     *
     * @param partitions per bucket, the partition of its record (-1: empty)
     */
    public record Buckets(
            List<Integer> partitions, List<Long> offsets, long nextSeq, List<String> pending) {}
}
