package dev.canaryrelease.events.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.Stage;

class EventInboxTest {
    static EventEnvelope<HostUpdateRequested> from(String service) {
        return EventEnvelope.of(
                EventEnvelope.sourceOf(service),
                new HostUpdateRequested("r1", "app", "docker0", Stage.CANARY, "sha256:x"));
    }

    @Test
    void theTopicsWriterIsNotForeign() {
        assertEquals(
                Optional.empty(), EventInbox.foreignSource(Topics.DEPLOY, from("deploy-service")));
    }

    @Test
    void anyOtherSourceIsForeignAndTheReasonNamesBoth() {
        Optional<String> why = EventInbox.foreignSource(Topics.DEPLOY, from("gateway"));
        assertTrue(why.isPresent());
        assertEquals(
                "ce_source /canary-release/gateway is not the writer of deploy.events"
                        + " (/canary-release/deploy-service)",
                why.get());
        assertTrue(EventInbox.foreignSource(Topics.DEPLOY, from("deploy")).isPresent());
    }

    @Test
    void aTopicWithoutAWriterInTheTableIsNotChecked() {
        assertEquals(Optional.empty(), EventInbox.foreignSource("some.test.topic", from("x")));
    }
}
