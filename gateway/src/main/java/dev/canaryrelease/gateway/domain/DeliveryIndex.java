package dev.canaryrelease.gateway.domain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Which push made which release, so a push is built once per app and commit: a redelivered webhook
 * (the same {@code X-GitHub-Delivery}) and a replayed body under a fresh delivery id (the same app
 * and {@code after}) both get the first release back and publish nothing. The delivery id is not
 * covered by GitHub's signature, so the commit is the key that counts.
 *
 * <p>Filled by the webhook when it accepts a push and by the read model from every {@code
 * build.requested} it reads, so it survives a restart (the gateway replays {@code gateway.events}
 * from the beginning at each start). A push being published right now is held as an incomplete
 * future: a concurrent identical push waits on it instead of publishing a second event.
 *
 * <p>Bounded: each of the two keys (delivery id, app + commit) is an LRU of at most {@code
 * capacity} entries; past it the least recently seen is forgotten, and a push of that commit would
 * be built again (build-service still refuses a commit that is no longer the branch head). At start
 * the replay refills the most recent {@code capacity} keys.
 */
public class DeliveryIndex {

    /** What a push produced: its release and the delivery that started it. */
    public record Accepted(
            String releaseId, String app, String ref, String commitSha, String deliveryId) {}

    /** Why a push starts nothing: the same delivery again, or the same app and commit. */
    public enum Seen {
        REDELIVERY,
        DUPLICATE_COMMIT
    }

    /** The earlier push a claim ran into (its outcome maybe still in flight). */
    public record Earlier(Seen seen, CompletableFuture<Accepted> outcome) {}

    private final int capacity;
    private final Map<String, CompletableFuture<Accepted>> byDelivery;
    private final Map<String, CompletableFuture<Accepted>> byCommit;

    public DeliveryIndex(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("dedupe capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.byDelivery = lru(capacity);
        this.byCommit = lru(capacity);
    }

    private static <V> Map<String, V> lru(int capacity) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        };
    }

    static String commitKey(String app, String commitSha) {
        return app + "@" + commitSha;
    }

    /**
     * Claims a push: its delivery id and its app + commit.
     *
     * @return null when the caller owns both now and must publish, then call {@link #complete} or
     *     {@link #release}; otherwise the earlier push (a redelivery is checked first)
     */
    public synchronized Earlier claim(
            String deliveryId, String app, String commitSha, CompletableFuture<Accepted> mine) {
        CompletableFuture<Accepted> d = byDelivery.get(deliveryId);
        if (d != null) {
            return new Earlier(Seen.REDELIVERY, d);
        }
        CompletableFuture<Accepted> c = byCommit.get(commitKey(app, commitSha));
        if (c != null) {
            return new Earlier(Seen.DUPLICATE_COMMIT, c);
        }
        byDelivery.put(deliveryId, mine);
        byCommit.put(commitKey(app, commitSha), mine);
        return null;
    }

    /** The claim's event is published: the push maps to {@code accepted} for good. */
    public void complete(CompletableFuture<Accepted> mine, Accepted accepted) {
        mine.complete(accepted);
    }

    /** Publishing failed: forget the claim so GitHub's retry can try again. */
    public void release(
            String deliveryId,
            String app,
            String commitSha,
            CompletableFuture<Accepted> mine,
            Throwable error) {
        synchronized (this) {
            byDelivery.remove(deliveryId, mine);
            byCommit.remove(commitKey(app, commitSha), mine);
        }
        mine.completeExceptionally(error);
    }

    /**
     * A {@code build.requested} read from Kafka (replay or live). The first one of an app and
     * commit stays its release; a later one (only possible in history written before this check)
     * keeps its delivery id.
     */
    public synchronized void remember(Accepted accepted) {
        CompletableFuture<Accepted> done = CompletableFuture.completedFuture(accepted);
        String deliveryId = accepted.deliveryId();
        if (deliveryId != null && !deliveryId.isBlank()) {
            byDelivery.putIfAbsent(deliveryId, done);
        }
        if (accepted.app() != null && accepted.commitSha() != null) {
            byCommit.putIfAbsent(commitKey(accepted.app(), accepted.commitSha()), done);
        }
    }

    /** How many keys each index holds at most. */
    public int capacity() {
        return capacity;
    }

    /** App + commit keys held now. */
    public synchronized int commits() {
        return byCommit.size();
    }

    /** Delivery ids held now. */
    public synchronized int deliveries() {
        return byDelivery.size();
    }
}
