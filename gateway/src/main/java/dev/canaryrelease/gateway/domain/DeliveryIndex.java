package dev.canaryrelease.gateway.domain;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Which GitHub delivery made which release, so a redelivered webhook gets the same release back and
 * publishes nothing. Filled by the webhook when it accepts a push and by the read model from every
 * {@code build.requested} it reads (so it survives a restart). A delivery being published right now
 * is held as an incomplete future: a concurrent identical delivery waits on it instead of
 * publishing a second event.
 */
@ApplicationScoped
public class DeliveryIndex {

    /** What a delivery produced. */
    public record Accepted(String releaseId, String app, String ref, String commitSha) {}

    private final ConcurrentMap<String, CompletableFuture<Accepted>> deliveries =
            new ConcurrentHashMap<>();

    /**
     * Claims a delivery id.
     *
     * @return null when the caller owns it now and must publish then call {@link #complete} or
     *     {@link #release}; otherwise the earlier outcome (maybe still in flight)
     */
    public CompletableFuture<Accepted> claim(String deliveryId, CompletableFuture<Accepted> mine) {
        return deliveries.putIfAbsent(deliveryId, mine);
    }

    /** The claim's event is published: the delivery maps to {@code accepted} for good. */
    public void complete(CompletableFuture<Accepted> mine, Accepted accepted) {
        mine.complete(accepted);
    }

    /** Publishing failed: forget the claim so GitHub's retry can try again. */
    public void release(String deliveryId, CompletableFuture<Accepted> mine, Throwable error) {
        deliveries.remove(deliveryId, mine);
        mine.completeExceptionally(error);
    }

    /** A {@code build.requested} read from Kafka (replay or live). */
    public void remember(String deliveryId, Accepted accepted) {
        if (deliveryId != null && !deliveryId.isBlank()) {
            deliveries.putIfAbsent(deliveryId, CompletableFuture.completedFuture(accepted));
        }
    }

    public int size() {
        return deliveries.size();
    }
}
