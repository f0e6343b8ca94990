package dev.canaryrelease.lb.messaging;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.annotations.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.lb.domain.HostCycle;

/**
 * Consumes deploy-service's events: {@code host.update-requested} drains the host, {@code
 * host.updated} puts it back, and so does {@code host.update-failed} (deploy-service has put the
 * previous container back, so the host must not stay drained). Records run in parallel (a drain may
 * wait for its deadline); operations on one server are serialised by {@link HostCycle}.
 */
@ApplicationScoped
public class DeployEventsListener {
    /** The incoming channel (topic {@code deploy.events}). */
    public static final String CHANNEL = "lb-in";

    private final HostCycle cycle;
    private final EventPublisher publisher;

    public DeployEventsListener(HostCycle cycle, EventPublisher publisher) {
        this.cycle = cycle;
        this.publisher = publisher;
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = false)
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.processAsync(message, this::handle);
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
