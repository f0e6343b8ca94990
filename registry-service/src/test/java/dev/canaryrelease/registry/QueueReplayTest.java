package dev.canaryrelease.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.registry.domain.MediaTypes;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * A push answered 200 just before the process died is not lost: the service starts on the data
 * folder the crash left, processes the queued push (the registry will never redeliver it) and still
 * drops the registry's redelivery of it.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(SeededQueue.class)
class QueueReplayTest {
    static EventCapture capture;
    static EventSender build;

    @BeforeAll
    static void start() {
        capture = EventCapture.start(KafkaTestResource.bootstrapServers(), Topics.REGISTRY);
        build = new EventSender(KafkaTestResource.bootstrapServers(), "build-service");
    }

    @AfterAll
    static void stop() {
        capture.close();
        build.close();
    }

    @Test
    void anAcceptedPushLeftInTheQueueIsPublishedAfterARestart() {
        EventEnvelope<BuildSucceeded> built =
                build.send(
                        new BuildSucceeded(
                                SeededQueue.RELEASE,
                                "example",
                                "example-app",
                                SeededQueue.TAG,
                                SeededQueue.digest,
                                900,
                                null));
        EventEnvelope<CanaryEvent> e =
                capture.await(SeededQueue.RELEASE, EventType.IMAGE_PUSHED, Duration.ofSeconds(60));
        ImagePushed p = (ImagePushed) e.data();
        assertEquals(built.id(), e.causationId());
        assertEquals("build-service", p.pushedBy());
        assertEquals(SeededQueue.digest, p.digest());
        assertEquals(SeededQueue.TAG, p.tag());
        assertEquals("example", p.app());

        String envelope =
                ("{\"events\":[{\"id\":\"n-1\",\"timestamp\":\"%s\",\"action\":\"push\","
                                + "\"target\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
                                + "\"repository\":\"example-app\",\"tag\":\"%s\"}}]}")
                        .formatted(
                                Instant.now(),
                                MediaTypes.DOCKER_MANIFEST,
                                SeededQueue.digest,
                                SeededQueue.TAG);
        given().contentType(MediaTypes.EVENTS)
                .header("Authorization", "Bearer " + SeededQueue.TOKEN)
                .body(envelope)
                .post("/registry/notifications")
                .then()
                .statusCode(200)
                .body("duplicates", equalTo(1))
                .body("queued", equalTo(0));
    }
}
