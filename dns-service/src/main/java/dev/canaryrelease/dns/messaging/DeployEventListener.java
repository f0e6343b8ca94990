package dev.canaryrelease.dns.messaging;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.ReleaseAborted;
import dev.canaryrelease.events.model.ReleaseFailed;
import dev.canaryrelease.events.model.ReleasePromoted;
import dev.canaryrelease.events.model.ReleaseRolledBack;
import dev.canaryrelease.events.model.ReleaseSuperseded;

/**
 * Consumes deploy-service's topic: {@code canary.live} adds {@code canary.<app>}; {@code
 * release.promoted|failed|aborted|superseded|rolled-back} removes it. A DNS failure is reported as
 * {@code dns.update-failed} (the record is acknowledged: the next reconcile retries); only
 * unreadable records go to the dead-letter topic.
 */
@ApplicationScoped
public class DeployEventListener {
    /** The incoming channel (topic {@code deploy.events}). */
    public static final String CHANNEL = "dns-in";

    private final RecordKeeper keeper;

    public DeployEventListener(RecordKeeper keeper) {
        this.keeper = keeper;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.process(message, this::handle);
    }

    void handle(EventEnvelope<CanaryEvent> event) {
        CanaryEvent data = event.data();
        if (data instanceof CanaryLive c) {
            keeper.canaryLive(event, c.app(), c.releaseId(), c.hosts());
        } else if (data instanceof ReleasePromoted r) {
            keeper.releaseEnded(event, r.app(), r.releaseId());
        } else if (data instanceof ReleaseFailed r) {
            keeper.releaseEnded(event, r.app(), r.releaseId());
        } else if (data instanceof ReleaseAborted r) {
            keeper.releaseEnded(event, r.app(), r.releaseId());
        } else if (data instanceof ReleaseSuperseded r) {
            keeper.releaseEnded(event, r.app(), r.releaseId());
        } else if (data instanceof ReleaseRolledBack r) {
            keeper.releaseEnded(event, r.app(), r.releaseId());
        }
    }
}
