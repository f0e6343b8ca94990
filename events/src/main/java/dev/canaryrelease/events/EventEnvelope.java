package dev.canaryrelease.events;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;

import dev.canaryrelease.events.model.CanaryEvent;

/**
 * One CloudEvent of the suite: its attributes and its data. {@code subject} is the release id;
 * {@code causationId} is the id of the event that caused this one (null for the first of a chain).
 */
public record EventEnvelope<T extends CanaryEvent>(
        String id,
        EventType type,
        String source,
        String subject,
        Instant time,
        String causationId,
        T data) {

    /** Source attribute of a service: {@code /canary-release/<service>}. */
    public static String sourceOf(String service) {
        return "/canary-release/" + service;
    }

    public EventEnvelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(data, "data");
    }

    /** A new event that starts a chain (a webhook, an operator command, a fleet-wide change). */
    public static <T extends CanaryEvent> EventEnvelope<T> of(String source, T data) {
        return new EventEnvelope<>(
                UUID.randomUUID().toString(),
                EventType.of(data),
                source,
                data.releaseId(),
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                null,
                data);
    }

    /**
     * A new event caused by this one: it carries this event's id as its causation id. The release
     * id comes from {@code data}; use {@link #releaseId()} of the cause to build it.
     */
    public <U extends CanaryEvent> EventEnvelope<U> causes(String source, U data) {
        return new EventEnvelope<>(
                UUID.randomUUID().toString(),
                EventType.of(data),
                source,
                data.releaseId(),
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                id,
                data);
    }

    /** The release id (the subject). */
    public String releaseId() {
        return subject;
    }

    @Override
    public String toString() {
        return type.shortName() + "[" + id + " release=" + subject + " cause=" + causationId + "]";
    }
}
