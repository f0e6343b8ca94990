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
 * lb.events} (channel {@value #CHANNEL}). At start the snapshot and the history after it, including
 * our own {@code deploy.events}, are replayed first ({@link DeploySnapshots}); live events wait
 * until that is done, and the channel resumes where that replay ended.
 */
@ApplicationScoped
public class DeployListener {
    public static final String CHANNEL = "deploy-in";

    private final DeployEngine engine;
    private final DeploySnapshots snapshots;

    public DeployListener(DeployEngine engine, DeploySnapshots snapshots) {
        this.engine = engine;
        this.snapshots = snapshots;
    }

    void onStart(@Observes StartupEvent event) {
        // the snapshot and the history after it were folded before the channels started
        engine.replay(snapshots.fold());
        snapshots.schedule();
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        engine.awaitReady();
        return EventInbox.process(message, engine::handle);
    }
}
