package dev.canaryrelease.events.codec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.OfApp;

/**
 * CloudEvents 1.0 binary content mode for Kafka: attributes in {@code ce_*} headers, the data as a
 * JSON body, {@code content-type: application/json}, and the app as the record key ({@link #key}).
 */
public final class CloudEventCodec {
    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";

    public static final String H_SPECVERSION = "ce_specversion";
    public static final String H_ID = "ce_id";
    public static final String H_TYPE = "ce_type";
    public static final String H_SOURCE = "ce_source";
    public static final String H_SUBJECT = "ce_subject";
    public static final String H_TIME = "ce_time";
    public static final String H_CAUSATIONID = "ce_causationid";
    public static final String H_CONTENT_TYPE = "content-type";

    /** The shared JSON mapper for event data. Unknown fields are ignored (newer writers). */
    public static final ObjectMapper JSON =
            new ObjectMapper()
                    .registerModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A record ready for Kafka. */
    public record Encoded(String key, List<Header> headers, byte[] value) {}

    private CloudEventCodec() {}

    public static Encoded encode(EventEnvelope<?> event) {
        List<Header> headers = new ArrayList<>(8);
        add(headers, H_SPECVERSION, SPEC_VERSION);
        add(headers, H_ID, event.id());
        add(headers, H_TYPE, event.type().type());
        add(headers, H_SOURCE, event.source());
        add(headers, H_SUBJECT, event.subject());
        add(headers, H_TIME, event.time().toString());
        if (event.causationId() != null) {
            add(headers, H_CAUSATIONID, event.causationId());
        }
        add(headers, H_CONTENT_TYPE, CONTENT_TYPE);
        try {
            return new Encoded(key(event), headers, JSON.writeValueAsBytes(event.data()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + event, e);
        }
    }

    /**
     * The record key: the event's app, so every event and command of an app goes down the same
     * partition number of every topic (the default partitioner hashes the key, and the suite's
     * topics have the same partition count), and the one instance of a consumer group that owns it
     * runs the app's rollouts (issue 19). A release belongs to one app, so its events stay in order
     * as they did when the key was the release id. An event without an app (fleet-wide DNS records
     * and LB drift, registry retention, an older command) is keyed by its release id ({@code fleet}
     * for the fleet-wide ones).
     */
    public static String key(EventEnvelope<?> event) {
        if (event.data() instanceof OfApp a && a.app() != null && !a.app().isBlank()) {
            return a.app();
        }
        return event.subject();
    }

    /**
     * Reads a Kafka record.
     *
     * @return the event, or empty when its type is not one this version knows (skip it)
     * @throws PoisonEventException when the record is not a readable CloudEvent (dead letters)
     */
    public static Optional<EventEnvelope<CanaryEvent>> decode(Headers headers, byte[] value) {
        String specversion = header(headers, H_SPECVERSION);
        String type = header(headers, H_TYPE);
        String id = header(headers, H_ID);
        String source = header(headers, H_SOURCE);
        List<String> missing = new ArrayList<>();
        if (specversion == null) missing.add(H_SPECVERSION);
        if (id == null) missing.add(H_ID);
        if (type == null) missing.add(H_TYPE);
        if (source == null) missing.add(H_SOURCE);
        if (!missing.isEmpty()) {
            throw new PoisonEventException("not a CloudEvent: missing headers " + missing);
        }
        if (!specversion.startsWith("1.")) {
            throw new PoisonEventException("unsupported CloudEvents specversion " + specversion);
        }
        Optional<EventType> known = EventType.ofType(type);
        if (known.isEmpty()) {
            return Optional.empty();
        }
        if (value == null || value.length == 0) {
            throw new PoisonEventException(type + " " + id + ": empty body");
        }
        CanaryEvent data;
        try {
            data = JSON.readValue(value, known.get().dataClass());
        } catch (IOException e) {
            throw new PoisonEventException(
                    type + " " + id + ": unparsable body: " + firstLine(e.getMessage()), e);
        }
        if (data.releaseId() == null || data.releaseId().isBlank()) {
            throw new PoisonEventException(type + " " + id + ": data has no releaseId");
        }
        String subject = header(headers, H_SUBJECT);
        Instant time;
        try {
            String t = header(headers, H_TIME);
            time = t == null ? Instant.now() : Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw new PoisonEventException(type + " " + id + ": bad ce_time", e);
        }
        return Optional.of(
                new EventEnvelope<>(
                        id,
                        known.get(),
                        source,
                        subject == null ? data.releaseId() : subject,
                        time,
                        header(headers, H_CAUSATIONID),
                        data));
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static void add(List<Header> headers, String key, String value) {
        headers.add(new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8)));
    }

    static String header(Headers headers, String key) {
        if (headers == null) return null;
        Header h = headers.lastHeader(key);
        return h == null || h.value() == null
                ? null
                : new String(h.value(), StandardCharsets.UTF_8);
    }
}
