package dev.canaryrelease.registry.domain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * The {@code build.succeeded} events seen on build.events, so that an {@code image.pushed} can name
 * its cause. The build-service pushes before it publishes, so the push usually arrives first: a
 * push waits (asynchronously) for its release's event.
 */
@ApplicationScoped
public class BuildTracker {
    private static final int REMEMBERED = 2048;

    private final Map<String, EventEnvelope<CanaryEvent>> seen =
            new LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(
                        Map.Entry<String, EventEnvelope<CanaryEvent>> e) {
                    return size() > REMEMBERED;
                }
            };
    private final Map<String, List<CompletableFuture<Optional<EventEnvelope<CanaryEvent>>>>>
            waiters = new HashMap<>();

    /** Records a {@code build.succeeded} and wakes the pushes waiting for it. */
    public void succeeded(EventEnvelope<CanaryEvent> event) {
        if (!(event.data() instanceof BuildSucceeded)) {
            return;
        }
        List<CompletableFuture<Optional<EventEnvelope<CanaryEvent>>>> woken;
        synchronized (this) {
            seen.put(event.releaseId(), event);
            woken = waiters.remove(event.releaseId());
        }
        if (woken != null) {
            woken.forEach(f -> f.complete(Optional.of(event)));
        }
    }

    /** The release's {@code build.succeeded} if seen. */
    public synchronized Optional<EventEnvelope<CanaryEvent>> find(String releaseId) {
        return Optional.ofNullable(seen.get(releaseId));
    }

    /**
     * Completes with the release's {@code build.succeeded} as soon as it is seen, or empty after
     * {@code max}.
     */
    public CompletableFuture<Optional<EventEnvelope<CanaryEvent>>> await(
            String releaseId, Duration max) {
        CompletableFuture<Optional<EventEnvelope<CanaryEvent>>> f = new CompletableFuture<>();
        synchronized (this) {
            EventEnvelope<CanaryEvent> e = seen.get(releaseId);
            if (e != null) {
                return CompletableFuture.completedFuture(Optional.of(e));
            }
            waiters.computeIfAbsent(releaseId, k -> new ArrayList<>()).add(f);
        }
        f.completeOnTimeout(Optional.empty(), max.toMillis(), TimeUnit.MILLISECONDS);
        f.whenComplete(
                (r, t) -> {
                    synchronized (this) {
                        var list = waiters.get(releaseId);
                        if (list != null) {
                            list.remove(f);
                            if (list.isEmpty()) waiters.remove(releaseId);
                        }
                    }
                });
        return f;
    }
}
