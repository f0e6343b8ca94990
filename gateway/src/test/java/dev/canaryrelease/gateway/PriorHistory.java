package dev.canaryrelease.gateway;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildStarted;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * What an earlier gateway run left in Kafka, written before this gateway starts: a release that a
 * webhook delivery started and that reached CANARY_LIVE. The gateway under test must rebuild it
 * (and the delivery's dedupe entry) by replaying the topics.
 */
public class PriorHistory implements QuarkusTestResourceLifecycleManager {
    /** A random id, not the one the gateway would derive from the delivery. */
    static final String RELEASE = UUID.randomUUID().toString();

    static final String DELIVERY = UUID.randomUUID().toString();
    static final String SHA = Github.randomSha();
    static final String DIGEST = "sha256:" + "12".repeat(32);
    static volatile String canaryLiveId;

    /** The release's latest event: deploy-service's announcement that the canary is live. */
    static volatile String latestId;

    @Override
    public Map<String, String> start() {
        String b = KafkaTestResource.bootstrapServers();
        try (EventSender gateway = new EventSender(b, "gateway");
                EventSender build = new EventSender(b, "build-service");
                EventSender registry = new EventSender(b, "registry-service");
                EventSender lb = new EventSender(b, "lb-service");
                EventSender deploy = new EventSender(b, "deploy-service")) {
            EventEnvelope<?> req =
                    gateway.send(
                            new BuildRequested(
                                    RELEASE,
                                    "example",
                                    "proserveau/example-app",
                                    "https://github.com/proserveau/example-app.git",
                                    "refs/heads/main",
                                    SHA,
                                    "octocat",
                                    DELIVERY));
            var started = build.send(req, new BuildStarted(RELEASE, "example", SHA, null));
            var built =
                    build.send(
                            started,
                            new BuildSucceeded(
                                    RELEASE,
                                    "example",
                                    "example",
                                    SHA.substring(0, 12),
                                    DIGEST,
                                    900,
                                    null));
            var pushed =
                    registry.send(
                            built,
                            new ImagePushed(
                                    RELEASE, "example", "example", SHA.substring(0, 12), DIGEST));
            var upd =
                    deploy.send(
                            pushed,
                            new HostUpdateRequested(
                                    RELEASE, "example", "docker0", Stage.CANARY, DIGEST));
            var drained =
                    lb.send(
                            upd,
                            new HostDrained(
                                    RELEASE, "example", "docker0", Stage.CANARY, 1, 40, false));
            var updated =
                    deploy.send(
                            drained,
                            new HostUpdated(
                                    RELEASE, "example", "docker0", Stage.CANARY, DIGEST, null));
            var enabled =
                    lb.send(updated, new HostEnabled(RELEASE, "example", "docker0", Stage.CANARY));
            var live =
                    deploy.send(
                            enabled,
                            new CanaryLive(RELEASE, "example", List.of("docker0"), DIGEST));
            canaryLiveId = live.id();
            latestId =
                    deploy.send(
                                    enabled,
                                    new ReleasePhaseChanged(
                                            RELEASE,
                                            "example",
                                            Phase.CANARY_LIVE,
                                            Phase.CANARY_UPDATING))
                            .id();
        }
        return Map.of();
    }

    @Override
    public void stop() {}
}
