package dev.canaryrelease.lb.messaging;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.PoisonEventException;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.HostDrainFailed;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnableFailed;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateFailed;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.HostCycle;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;

/**
 * Reads this service's own topic and deploy-service's from their beginning at every start (a fresh
 * consumer group) and rebuilds the wanted admin state of every server: drained or enable-failed →
 * maint, enabled → ready. Newer decisions of the running handlers win over replayed ones. From
 * {@code deploy.events} it keeps only which requests are still unanswered (see {@link
 * dev.canaryrelease.lb.domain.PendingRequests}); the {@code lb-in} channel acts on them and
 * dead-letters the unreadable ones, so here they are skipped. Every record read moves the start-up
 * replay ({@link LbReplay}) on.
 */
@ApplicationScoped
public class LbStateListener {
    /** The incoming channel (topics {@code lb.events} and {@code deploy.events}). */
    public static final String CHANNEL = "lb-state";

    private final WantedStates wanted;
    private final HostCycle cycle;
    private final LbReplay replay;

    public LbStateListener(WantedStates wanted, HostCycle cycle, LbReplay replay) {
        this.wanted = wanted;
        this.cycle = cycle;
        this.replay = replay;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        @SuppressWarnings("rawtypes")
        Optional<IncomingKafkaRecordMetadata> meta =
                message.getMetadata(IncomingKafkaRecordMetadata.class);
        boolean fromDeploy = meta.map(m -> Topics.DEPLOY.equals(m.getTopic())).orElse(false);
        CompletionStage<Void> done =
                fromDeploy ? request(message) : EventInbox.process(message, this::apply);
        return done.whenComplete(
                (ok, err) ->
                        meta.ifPresent(
                                m -> replay.read(m.getTopic(), m.getPartition(), m.getOffset())));
    }

    private CompletionStage<Void> request(Message<byte[]> message) {
        Optional<EventEnvelope<CanaryEvent>> e;
        try {
            e = EventInbox.decode(message);
        } catch (PoisonEventException poison) {
            return message.ack(); // lb-in moves it to its dead letters
        }
        e.ifPresent(this::request);
        return message.ack();
    }

    void request(EventEnvelope<CanaryEvent> e) {
        if (e.data() instanceof HostUpdateRequested r) {
            requested(e, r.app(), r.host());
        } else if (e.data() instanceof HostUpdated u) {
            requested(e, u.app(), u.host());
        } else if (e.data() instanceof HostUpdateFailed f) {
            requested(e, f.app(), f.host());
        }
    }

    void apply(EventEnvelope<CanaryEvent> e) {
        if (e.data() instanceof HostDrained d) {
            keep(e, d.app(), d.host(), AdminState.MAINT);
        } else if (e.data() instanceof HostEnableFailed f) {
            keep(e, f.app(), f.host(), AdminState.MAINT);
        } else if (e.data() instanceof HostEnabled en) {
            keep(e, en.app(), en.host(), AdminState.READY);
        } else if (e.data() instanceof HostDrainFailed f) {
            // The server was left (or put back) as it was: only the request is answered.
            cycle.serverOf(f.app(), f.host()).ifPresent(k -> answered(k, e));
        }
    }

    private void requested(EventEnvelope<CanaryEvent> e, String app, String host) {
        cycle.serverOf(app, host).ifPresent(k -> wanted.pending().requested(k, e.id()));
    }

    private void answered(ServerKey key, EventEnvelope<CanaryEvent> e) {
        wanted.pending().answered(key, e.causationId());
    }

    private void keep(EventEnvelope<CanaryEvent> e, String app, String host, AdminState state) {
        cycle.serverOf(app, host)
                .ifPresent(
                        k -> {
                            wanted.apply(k, new Wanted(state, e.time(), e.releaseId()));
                            answered(k, e);
                        });
    }
}
