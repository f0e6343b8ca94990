package dev.canaryrelease.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(UnreachableInfra.class)
class BuildRequestListenerTest {
    static EventSender sender;
    static EventCapture capture;

    @BeforeAll
    static void start() {
        sender =
                Kafka.withKafkaLoader(
                        () -> new EventSender(KafkaTestResource.bootstrapServers(), "gateway"));
        capture =
                Kafka.withKafkaLoader(
                        () ->
                                EventCapture.start(
                                        KafkaTestResource.bootstrapServers(),
                                        Topics.BUILD,
                                        Topics.deadLetter("build-in")));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    @Test
    void poisonGoesToDeadLettersAndTheNextEventIsProcessed() {
        sender.sendRaw(
                Topics.GATEWAY,
                "garbage",
                "\u0000\u00ffnot a cloud event".getBytes(StandardCharsets.ISO_8859_1),
                List.of());
        String release = UUID.randomUUID().toString();
        EventEnvelope<BuildRequested> req =
                sender.send(
                        new BuildRequested(
                                release,
                                "example",
                                "proserveau/example-app",
                                "https://github.com/proserveau/example-app.git",
                                "refs/heads/main",
                                "0123456789abcdef0123456789abcdef01234567",
                                "octocat",
                                "delivery-1"));

        EventEnvelope<CanaryEvent> started =
                capture.await(release, EventType.BUILD_STARTED, Duration.ofSeconds(30));
        assertEquals(req.id(), started.causationId());
        assertEquals("/canary-release/build-service", started.source());
        assertEquals(req.data().commitSha(), ((BuildStarted) started.data()).commitSha());

        EventCapture.Captured dead =
                capture.awaitRecord(
                        r -> r.record().topic().equals(Topics.deadLetter("build-in")),
                        Duration.ofSeconds(30));
        assertEquals("garbage", dead.record().key());
        assertEquals(null, dead.header(CloudEventCodec.H_TYPE));
    }
}
