package dev.canaryrelease.build.messaging;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.CanaryEvent;

/** Consumes {@code build.requested} from the gateway's topic. */
@ApplicationScoped
public class BuildRequestListener {
    private static final Logger LOG = Logger.getLogger(BuildRequestListener.class);

    private final EventPublisher publisher;

    public BuildRequestListener(EventPublisher publisher) {
        this.publisher = publisher;
    }

    @Incoming("build-in")
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.processAsync(message, this::handle);
    }

    CompletionStage<Void> handle(EventEnvelope<CanaryEvent> event) {
        if (!(event.data() instanceof BuildRequested req)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        LOG.infof(
                "release %s: build of %s at %s requested",
                req.releaseId(), req.app(), req.commitSha());
        return publisher
                .publish(event, new BuildStarted(req.releaseId(), req.app(), req.commitSha(), null))
                .thenApply(e -> null);
    }
}
