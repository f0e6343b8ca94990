package dev.canaryrelease.events.messaging;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Metrics;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.acl.KafkaPrincipals;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.codec.PoisonEventException;
import dev.canaryrelease.events.model.CanaryEvent;

/**
 * The receiving side of the contract for {@code @Incoming} methods taking {@code Message<byte[]>}:
 * unknown types are acknowledged and skipped; unreadable records and handler failures are nacked,
 * so the channel's {@code dead-letter-queue} failure strategy moves them aside and the service
 * keeps going. Each record sent to dead letters is counted in {@value #DEAD_LETTERS} (Prometheus
 * {@code canary_dead_letters_total}) by the topic it came from.
 *
 * <p>A record whose {@code ce_source} is not its topic's one writer ({@link
 * KafkaPrincipals#writerSource}) is never handled: it goes to dead letters too, counted also in
 * {@value #FOREIGN_SOURCE} ({@code canary_events_foreign_source_total{topic}}). The broker's ACLs
 * already let only the writer's principal produce there, so such a record is a writer that lies
 * about who it is, or a misconfigured one.
 */
public final class EventInbox {
    private static final Logger LOG = Logger.getLogger(EventInbox.class);

    /** The counter of records sent to dead letters, tagged {@code topic} (where they came from). */
    public static final String DEAD_LETTERS = "canary.dead.letters";

    /** The counter of records whose source is not their topic's writer, tagged {@code topic}. */
    public static final String FOREIGN_SOURCE = "canary.events.foreign.source";

    private EventInbox() {}

    /** Decodes a message; empty for a type this version does not know. */
    public static Optional<EventEnvelope<CanaryEvent>> decode(Message<byte[]> msg) {
        @SuppressWarnings("rawtypes")
        Optional<IncomingKafkaRecordMetadata> meta =
                msg.getMetadata(IncomingKafkaRecordMetadata.class);
        Headers headers = meta.map(IncomingKafkaRecordMetadata::getHeaders).orElse(null);
        return CloudEventCodec.decode(headers, msg.getPayload());
    }

    /** Nacks the record (the channel's failure strategy dead-letters it) and counts it. */
    private static CompletionStage<Void> deadLetter(Message<byte[]> msg, Throwable why) {
        Metrics.counter(DEAD_LETTERS, "topic", topic(msg).orElse("unknown")).increment();
        return msg.nack(why);
    }

    @SuppressWarnings("rawtypes")
    private static Optional<String> topic(Message<byte[]> msg) {
        return msg.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(IncomingKafkaRecordMetadata::getTopic);
    }

    /**
     * Why the event must not be handled: its source is not the writer of the topic it was read from
     * (empty when it is, or when the topic has no writer in {@link KafkaPrincipals}). Also used by
     * a start-up replay that reads records itself, so it refuses exactly what a channel would.
     */
    public static Optional<String> foreignSource(String topic, EventEnvelope<?> event) {
        return KafkaPrincipals.writerSource(topic)
                .filter(writer -> !writer.equals(event.source()))
                .map(
                        writer ->
                                "ce_source "
                                        + event.source()
                                        + " is not the writer of "
                                        + topic
                                        + " ("
                                        + writer
                                        + ")");
    }

    /** Runs a synchronous handler (call it from a {@code @Blocking} method). */
    public static CompletionStage<Void> process(
            Message<byte[]> msg, Consumer<EventEnvelope<CanaryEvent>> handler) {
        return processAsync(
                msg,
                e -> {
                    handler.accept(e);
                    return CompletableFuture.completedFuture(null);
                });
    }

    /** Runs an asynchronous handler; the record is acknowledged when its stage completes. */
    public static CompletionStage<Void> processAsync(
            Message<byte[]> msg,
            Function<EventEnvelope<CanaryEvent>, CompletionStage<Void>> handler) {
        Optional<EventEnvelope<CanaryEvent>> event;
        try {
            event = decode(msg);
        } catch (PoisonEventException e) {
            LOG.warnf("poison record sent to dead letters: %s", e.getMessage());
            return deadLetter(msg, e);
        }
        if (event.isEmpty()) {
            return msg.ack();
        }
        Optional<String> topic = topic(msg);
        Optional<String> foreign = topic.flatMap(t -> foreignSource(t, event.get()));
        if (foreign.isPresent()) {
            LOG.warnf(
                    "record %s of type %s sent to dead letters: %s",
                    event.get().id(), event.get().type().shortName(), foreign.get());
            Metrics.counter(FOREIGN_SOURCE, "topic", topic.get()).increment();
            return deadLetter(msg, new PoisonEventException(foreign.get()));
        }
        CompletionStage<Void> result;
        try {
            result = handler.apply(event.get());
        } catch (RuntimeException e) {
            LOG.errorf(e, "handler failed for %s: sent to dead letters", event.get());
            return deadLetter(msg, e);
        }
        return result.handle(
                        (ok, err) -> {
                            if (err == null) {
                                return msg.ack();
                            }
                            LOG.errorf(
                                    err,
                                    "handler failed for %s: sent to dead letters",
                                    event.get());
                            return deadLetter(msg, err);
                        })
                .thenCompose(Function.identity());
    }
}
