package dev.canaryrelease.lb.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.HostCycle;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;

/**
 * Reads this service's own topic from its beginning at every start (a fresh consumer group) and
 * rebuilds the wanted admin state of every server: drained or enable-failed → maint, enabled →
 * ready. Newer decisions of the running handlers win over replayed ones.
 */
@ApplicationScoped
public class LbStateListener {
    /** The incoming channel (topic {@code lb.events}). */
    public static final String CHANNEL = "lb-state";

    private final WantedStates wanted;
    private final HostCycle cycle;

    public LbStateListener(WantedStates wanted, HostCycle cycle) {
        this.wanted = wanted;
        this.cycle = cycle;
    }

    @Incoming(CHANNEL)
    @Blocking
    public java.util.concurrent.CompletionStage<Void> onMessage(Message<byte[]> message) {
        return EventInbox.process(message, this::apply);
    }

    void apply(EventEnvelope<CanaryEvent> e) {
        if (e.data() instanceof HostDrained d) {
            keep(e, d.app(), d.host(), AdminState.MAINT);
        } else if (e.data() instanceof HostEnableFailed f) {
            keep(e, f.app(), f.host(), AdminState.MAINT);
        } else if (e.data() instanceof HostEnabled en) {
            keep(e, en.app(), en.host(), AdminState.READY);
        }
    }

    private void keep(EventEnvelope<CanaryEvent> e, String app, String host, AdminState state) {
        cycle.serverOf(app, host)
                .ifPresent(k -> wanted.apply(k, new Wanted(state, e.time(), e.releaseId())));
    }
}
