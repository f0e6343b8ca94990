package dev.canaryrelease.builder.messaging;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * Consumes {@code build.requested} from the gateway's topic and hands it to the {@link BuildQueue}.
 * The record is acknowledged once the build is recorded (not when it ends: a build takes minutes,
 * and a newer commit must be able to cancel it meanwhile); poison records go to {@code
 * dead-letter-topic-build-in}.
 */
@ApplicationScoped
public class BuildRequestListener {
    private final BuildQueue queue;

    public BuildRequestListener(BuildQueue queue) {
        this.queue = queue;
    }

    @Incoming("build-in")
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.processAsync(message, this::handle);
    }

    CompletionStage<Void> handle(EventEnvelope<CanaryEvent> event) {
        if (!(event.data() instanceof BuildRequested req)) {
            return CompletableFuture.completedFuture(null);
        }
        return queue.submit(req, event.id());
    }
}
