package dev.canaryrelease.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.Topics;
import dev.canaryrelease.events.model.BuildFailed;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.testsupport.EventCapture;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * A build host whose engine runs containers as the host's root: no build runs there, since a root
 * step would not be bounded by the app's pids limit.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(PlainEngineInfra.class)
class PlainEngineTest {
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
                                        KafkaTestResource.bootstrapServers(), Topics.BUILD));
    }

    @AfterAll
    static void stop() {
        sender.close();
        capture.close();
    }

    @Test
    void aBuildOnAnEngineWithoutUserNamespacesFailsBeforeTheEngineSeesIt() throws Exception {
        String sha = PlainEngineInfra.git.commitApp("v-plain");
        String release = UUID.randomUUID().toString();
        sender.send(
                new BuildRequested(
                        release,
                        "example",
                        GitFixture.REPOSITORY,
                        GitFixture.CLONE_URL,
                        "refs/heads/main",
                        sha,
                        "octocat",
                        "delivery-" + UUID.randomUUID()));
        EventEnvelope<CanaryEvent> end =
                capture.await(
                        e ->
                                e.releaseId().equals(release)
                                        && (e.type() == EventType.BUILD_SUCCEEDED
                                                || e.type() == EventType.BUILD_FAILED),
                        Duration.ofSeconds(60));
        assertTrue(end.data() instanceof BuildFailed, "expected build.failed, got " + end.data());
        String reason = ((BuildFailed) end.data()).reason();
        assertEquals(
                "engine not isolated: docker0 ("
                        + PlainEngineInfra.engine.tcpEndpoint()
                        + ") runs build steps as the host's root (no --userns-remap, not"
                        + " rootless), where the kernel does not apply the pids limit (fleet:"
                        + " apps.example.build.pids); start its dockerd with"
                        + " --userns-remap=default, or set canary.build.require-userns=false to"
                        + " accept it",
                reason);
        // the engine never built anything, and nothing reached the registry
        assertEquals("", PlainEngineInfra.engine.docker("images", "-aq").stdout().strip());
        HttpResponse<String> tags =
                PlainEngineInfra.registry
                        .httpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        PlainEngineInfra.registry.url()
                                                                + "/v2/example-app/tags/list"))
                                        .header(
                                                "Authorization",
                                                PlainEngineInfra.registry
                                                        .credentials("registry-service")
                                                        .basicAuth())
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, tags.statusCode(), tags.body());
    }
}
