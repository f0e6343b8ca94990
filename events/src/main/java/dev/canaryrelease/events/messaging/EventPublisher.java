package dev.canaryrelease.events.messaging;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.canaryrelease.events.Channels;
import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * Publishes this service's CloudEvents on its {@code events-out} channel (the topic is the
 * service's {@code <service>.events}, set in its configuration). The returned stage completes when
 * Kafka acknowledged the record.
 */
@ApplicationScoped
public class EventPublisher {
    private final Emitter<byte[]> emitter;
    private final String source;

    @Inject
    public EventPublisher(
            @Channel(Channels.EVENTS_OUT)
                    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 16384)
                    Emitter<byte[]> emitter,
            @ConfigProperty(name = "canary.service.name") String service) {
        this.emitter = emitter;
        this.source = EventEnvelope.sourceOf(service);
    }

    /** This service's CloudEvent source. */
    public String source() {
        return source;
    }

    /** Publishes a new event that starts a chain. */
    public <T extends CanaryEvent> CompletionStage<EventEnvelope<T>> publish(T data) {
        EventEnvelope<T> e = EventEnvelope.of(source, data);
        return send(e).thenApply(x -> e);
    }

    /** Publishes an event caused by {@code cause} (carries its id as causation id). */
    public <T extends CanaryEvent> CompletionStage<EventEnvelope<T>> publish(
            EventEnvelope<?> cause, T data) {
        EventEnvelope<T> e =
                cause == null ? EventEnvelope.of(source, data) : cause.causes(source, data);
        return send(e).thenApply(x -> e);
    }

    /** Publishes a prepared envelope. */
    public CompletionStage<Void> send(EventEnvelope<?> event) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(event);
        CompletableFuture<Void> done = new CompletableFuture<>();
        OutgoingKafkaRecordMetadata<String> meta =
                OutgoingKafkaRecordMetadata.<String>builder()
                        .withKey(enc.key())
                        .withHeaders(new RecordHeaders(enc.headers()))
                        .build();
        Message<byte[]> msg =
                Message.of(
                        enc.value(),
                        Metadata.of(meta),
                        () -> {
                            done.complete(null);
                            return CompletableFuture.completedFuture(null);
                        },
                        t -> {
                            done.completeExceptionally(t);
                            return CompletableFuture.completedFuture(null);
                        });
        emitter.send(msg);
        return done;
    }
}
