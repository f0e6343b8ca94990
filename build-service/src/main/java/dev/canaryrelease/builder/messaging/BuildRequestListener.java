package dev.canaryrelease.builder.messaging;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Blocking;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.messaging.EventInbox;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * Consumes {@code build.requested} from the gateway's topic and hands it to the {@link BuildQueue}.
 * The record is acknowledged once the build is recorded (not when it ends: a build takes minutes,
 * and a newer commit must be able to cancel it meanwhile); its offset is committed only once the
 * build's outcome is on Kafka ({@link PartitionOwnership}). A record of a partition this instance
 * no longer owns is left alone; one a previous owner had done is not handled again. Poison records
 * go to {@code dead-letter-topic-build-in}.
 */
@ApplicationScoped
public class BuildRequestListener {
    private static final Logger LOG = Logger.getLogger(BuildRequestListener.class);

    private final BuildQueue queue;
    private final PartitionOwnership ownership;

    public BuildRequestListener(BuildQueue queue, PartitionOwnership ownership) {
        this.queue = queue;
        this.ownership = ownership;
    }

    @Incoming("build-in")
    @Blocking
    public CompletionStage<Void> onMessage(Message<byte[]> message) {
        Optional<PartitionOwnership.Received> received = ownership.receive(message);
        if (received.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        PartitionOwnership.Delivery delivery = received.get().delivery();
        if (received.get().skip()) {
            LOG.infof(
                    "record %d of partition %d: its outcome was published by the partition's"
                            + " previous owner, not handled again",
                    delivery.offset(), delivery.partition());
            delivery.done().run();
            return message.ack();
        }
        // a build.requested handed to the queue is done when its outcome is published; any
        // other record (another type, a poison one once dead-lettered) when it is handled
        AtomicBoolean handedOver = new AtomicBoolean();
        return EventInbox.processAsync(
                        message,
                        e -> {
                            CompletionStage<Void> s = handle(e, delivery);
                            handedOver.set(e.data() instanceof BuildRequested);
                            return s;
                        })
                .whenComplete(
                        (ok, err) -> {
                            if (!handedOver.get()) {
                                delivery.done().run();
                            }
                        });
    }

    CompletionStage<Void> handle(
            EventEnvelope<CanaryEvent> event, PartitionOwnership.Delivery delivery) {
        if (!(event.data() instanceof BuildRequested req)) {
            return CompletableFuture.completedFuture(null);
        }
        return queue.submit(req, event.id(), delivery);
    }
}
