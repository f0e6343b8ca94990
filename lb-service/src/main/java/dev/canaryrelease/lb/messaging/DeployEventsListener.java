package dev.canaryrelease.lb.messaging;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.CanaryWeightRequested;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ReleasePhaseChanged;

/**
 * Consumes deploy-service's events: {@code host.update-requested} drains the host, {@code
 * host.updated} puts it back, and so does {@code host.update-failed} (deploy-service has put the
 * previous container back, so the host must not stay drained). Different hosts run in parallel (a
 * drain may wait for its deadline); the records of one host run one after the other, in the order
 * of the topic, on that host's own thread: after a crash the unacknowledged records come back as a
 * burst, and a redelivered {@code host.update-requested} must not overtake the {@code host.updated}
 * that followed it (the host would end drained). Nothing is done before the start-up replay of the
 * wanted states ({@link LbReplay}) is done.
 */
@ApplicationScoped
public class DeployEventsListener {
    /** The incoming channel (topic {@code deploy.events}). */
    public static final String CHANNEL = "lb-in";

    private final HostCycle cycle;
    private final EventPublisher publisher;
    private final LbReplay replay;
    private final CanaryAnalysis analysis;
    private final CanaryWeights weights;

    public DeployEventsListener(
            HostCycle cycle,
            EventPublisher publisher,
            LbReplay replay,
            CanaryAnalysis analysis,
            CanaryWeights weights) {
        this.cycle = cycle;
        this.publisher = publisher;
        this.replay = replay;
        this.analysis = analysis;
        this.weights = weights;
    }

    private final Map<String, ExecutorService> lanes = new ConcurrentHashMap<>();

    @Incoming(CHANNEL)
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        // Called on the event loop in topic order; the work goes to the host's lane.
        return EventInbox.processAsync(message, this::dispatch);
    }

    @SuppressWarnings("unchecked")
    CompletionStage<Void> dispatch(EventEnvelope<CanaryEvent> event) {
        // the canary analysis: watched from canary.live until the release leaves the watched
        // phases (CanaryAnalysis; it never blocks the event loop)
        if (event.data() instanceof CanaryLive) {
            analysis.canaryLive((EventEnvelope<CanaryLive>) (EventEnvelope<?>) event);
            return weights.canaryLive(event);
        }
        if (event.data() instanceof ReleasePhaseChanged pc) {
            analysis.phaseChanged(pc.releaseId(), pc.phase());
            return weights.phaseChanged(
                    (EventEnvelope<ReleasePhaseChanged>) (EventEnvelope<?>) event);
        }
        // weighted canaries: one thread of their own, in topic order (CanaryWeights)
        if (event.data() instanceof CanaryWeightRequested) {
            return weights.requested(
                    (EventEnvelope<CanaryWeightRequested>) (EventEnvelope<?>) event);
        }
        String host;
        if (event.data() instanceof HostUpdateRequested r) {
            host = r.app() + "/" + r.host();
        } else if (event.data() instanceof HostUpdated u) {
            host = u.app() + "/" + u.host();
        } else if (event.data() instanceof HostUpdateFailed f) {
            host = f.app() + "/" + f.host();
        } else {
            return CompletableFuture.completedFuture(null);
        }
        ExecutorService lane =
                lanes.computeIfAbsent(
                        host,
                        h ->
                                Executors.newSingleThreadExecutor(
                                        r -> {
                                            Thread t = new Thread(r, "lb-host-" + h);
                                            t.setDaemon(true);
                                            return t;
                                        }));
        return CompletableFuture.supplyAsync(() -> afterReplay(event), lane)
                .thenCompose(stage -> stage);
    }

    /**
     * Waits on the host's lane until the wanted states are replayed (so a drain or an enable never
     * starts from, or is overwritten by, half-applied history), then handles the event.
     */
    private CompletionStage<Void> afterReplay(EventEnvelope<CanaryEvent> event) {
        try {
            replay.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        }
        return handle(event);
    }

    @PreDestroy
    void stop() {
        lanes.values().forEach(ExecutorService::shutdownNow);
    }

    CompletionStage<Void> handle(EventEnvelope<CanaryEvent> event) {
        CanaryEvent result;
        if (event.data() instanceof HostUpdateRequested r) {
            result = cycle.drain(r.releaseId(), r.app(), r.host(), r.stage());
        } else if (event.data() instanceof HostUpdated u) {
            result = cycle.enable(u.releaseId(), u.app(), u.host(), u.stage());
        } else if (event.data() instanceof HostUpdateFailed f) {
            result = cycle.enable(f.releaseId(), f.app(), f.host(), f.stage());
        } else {
            return CompletableFuture.completedFuture(null);
        }
        return publisher.publish(event, result).thenApply(e -> null);
    }
}
