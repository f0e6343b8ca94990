package dev.canaryrelease.deploy.messaging;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.messaging.EventInbox;

/**
 * Consumes {@code gateway.events}, {@code build.events}, {@code registry.events} and {@code
 * lb.events} (channel {@value #CHANNEL}). At start the whole history, including our own {@code
 * deploy.events}, is replayed first; live events wait until that is done.
 */
@ApplicationScoped
public class DeployListener {
    public static final String CHANNEL = "deploy-in";

    private final DeployEngine engine;
    private final HistoryReader history;

    public DeployListener(DeployEngine engine, HistoryReader history) {
        this.engine = engine;
        this.history = history;
    }

    void onStart(@Observes StartupEvent event) {
        engine.replay(history.read());
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        engine.awaitReady();
        return EventInbox.process(message, engine::handle);
    }
}
