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
import dev.canaryrelease.events.model.CanaryWeightSet;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.StateFold;
import dev.canaryrelease.lb.domain.WantedStates;

/**
 * Reads this service's own topic and deploy-service's at every start (a fresh consumer group), from
 * the positions of its snapshot ({@link LbSnapshots}) or from their beginning, and folds them into
 * the wanted admin state of every server ({@link StateFold}: drained or enable-failed → maint,
 * enabled → ready). Newer decisions of the running handlers win over replayed ones. From {@code
 * deploy.events} it keeps only which requests are still unanswered (see {@link
 * dev.canaryrelease.lb.domain.PendingRequests}); the {@code lb-in} channel acts on them and
 * dead-letters the unreadable ones, so here they are skipped. Every record read moves the start-up
 * replay ({@link LbReplay}) and the fold's positions on.
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
        CompletionStage<Void> done;
        if (fromDeploy) {
            Optional<EventEnvelope<CanaryEvent>> e;
            try {
                e = EventInbox.decode(message);
            } catch (PoisonEventException poison) {
                e = Optional.empty(); // lb-in moves it to its dead letters
            }
            Optional<EventEnvelope<CanaryEvent>> event = e;
            meta.ifPresent(m -> fold(m, event));
            done = message.ack();
        } else {
            done = EventInbox.process(message, e -> meta.ifPresent(m -> fold(m, Optional.of(e))));
        }
        return done.whenComplete(
                (ok, err) ->
                        meta.ifPresent(
                                m -> {
                                    // a record nacked to dead letters is passed too
                                    wanted.fold()
                                            .passed(m.getTopic(), m.getPartition(), m.getOffset());
                                    replay.read(m.getTopic(), m.getPartition(), m.getOffset());
                                }));
    }

    @SuppressWarnings("rawtypes")
    private void fold(IncomingKafkaRecordMetadata m, Optional<EventEnvelope<CanaryEvent>> e) {
        apply(m.getTopic(), m.getPartition(), m.getOffset(), e);
    }

    /** Folds one record of {@code topic} and keeps what it decided in the live states. */
    void apply(String topic, int partition, long offset, Optional<EventEnvelope<CanaryEvent>> e) {
        wanted.fold()
                .apply(topic, partition, offset, e, cycle::serverOf)
                .ifPresent(s -> wanted.apply(s.key(), s.wanted()));
        if (e.isPresent() && e.get().data() instanceof CanaryWeightSet ws) {
            for (String server : ws.weights().keySet()) {
                ServerKey k = new ServerKey(ws.backend(), server);
                wanted.fold().weight(k).ifPresent(w -> wanted.applyWeight(k, w));
            }
        }
    }
}
