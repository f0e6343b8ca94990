package dev.canaryrelease.deploy;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.testsupport.EventSender;
import dev.canaryrelease.testsupport.KafkaTestResource;

/**
 * The state a {@code kill -9} leaves between stopping the old container and starting the new one,
 * set up before the service starts: in Kafka, {@code image.pushed}, our {@code
 * host.update-requested} and lb's {@code host.drained} for docker0, and no {@code host.updated}; on
 * docker0, the old container stopped and renamed, the new one created but never started. The fleet
 * (app {@code crashy}) also has docker9, whose engine does not answer.
 */
public class CrashRecoveryResource implements QuarkusTestResourceLifecycleManager {
    public static final String APP = "crashy";
    public static String release;
    public static EventEnvelope<HostDrained> drained;

    @Override
    public Map<String, String> start() {
        Infra.start();
        Infra.resetToV1();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        var tls = Infra.docker0.clientTls();
        Infra.extraHosts =
                ("- name: docker9\n"
                                + "  address: 127.0.0.1\n"
                                + "  docker: {driver: docker-api, endpoint: \"tcp://127.0.0.1:%d\", tls: {ca: \"%s\", cert: \"%s\", key: \"%s\"}}")
                        .formatted(closedPort, tls.ca(), tls.cert(), tls.key())
                        .indent(2)
                        .stripTrailing();
        String rollout =
                """
                canary: [docker0]
                steps: ["100%"]
                maxUnavailable: 2
                deadlines: {health: 10s}
                autoPromote: true
                bakeTime: 1s
                """;
        String fleet = Infra.writeFleet(APP, rollout).toString();
        Infra.extraHosts = "";

        release = "crash-" + UUID.randomUUID();
        String kafka = KafkaTestResource.bootstrapServers();
        try (EventSender registry = new EventSender(kafka, "registry-service");
                EventSender deploy = new EventSender(kafka, "deploy-service");
                EventSender lb = new EventSender(kafka, "lb-service")) {
            EventEnvelope<ImagePushed> pushed =
                    registry.send(new ImagePushed(release, APP, Infra.REPO, "v2", Infra.v2));
            EventEnvelope<HostUpdateRequested> req =
                    deploy.send(
                            pushed,
                            new HostUpdateRequested(
                                    release, APP, "docker0", Stage.CANARY, Infra.v2));
            drained =
                    lb.send(
                            req,
                            new HostDrained(release, APP, "docker0", Stage.CANARY, 0, 2, false));
        }
        // the swap, interrupted: old stopped and renamed, new created, never started
        var d0 = Infra.docker0;
        String image = Infra.registry.address() + "/" + Infra.REPO + "@" + Infra.v2;
        d0.docker("pull", "-q", image).orThrow();
        d0.docker("stop", "-t", "1", Infra.CONTAINER).orThrow();
        d0.docker("rename", Infra.CONTAINER, Infra.CONTAINER + "-" + Infra.v1.substring(7, 19))
                .orThrow();
        d0.docker(
                        "create",
                        "--pull",
                        "never",
                        "--init",
                        "--name",
                        Infra.CONTAINER,
                        "-p",
                        d0.hostAddress() + ":3000:3000",
                        image)
                .orThrow();
        Map<String, String> config = new java.util.HashMap<>(Infra.registryConfig());
        config.put("canary.fleet.path", fleet);
        // docker9 never answers: fail its swap after the attempts, not after engine-wait's 10 min
        config.put("canary.deploy.engine-wait", "0s");
        return config;
    }

    @Override
    public void stop() {}
}
