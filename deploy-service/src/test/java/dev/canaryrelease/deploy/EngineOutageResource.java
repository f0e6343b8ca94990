package dev.canaryrelease.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * docker0 reached through an {@link EngineRelay} (the test cuts the link), and its v1 container
 * made slow to stop: its stop signal is SIGWINCH, which the app ignores, so a stop lasts the whole
 * stop timeout (2 s in tests) before the engine kills it. That is the window in which the test
 * makes the engine stop answering, after the old container was told to stop.
 */
public class EngineOutageResource implements QuarkusTestResourceLifecycleManager {
    public static final String APP = "outage";
    public static EngineRelay relay;

    @Override
    public Map<String, String> start() {
        Infra.start();
        Infra.resetToV1();
        Infra.extraHosts = "";
        var d0 = Infra.docker0;
        d0.docker("rm", "-f", Infra.CONTAINER).orThrow();
        d0.docker(
                        "run",
                        "-d",
                        "--pull",
                        "never",
                        "--init",
                        "--stop-signal",
                        "SIGWINCH",
                        "--name",
                        Infra.CONTAINER,
                        "-p",
                        d0.hostAddress() + ":3000:3000",
                        "-e",
                        "CANARY_HOST=docker0",
                        Infra.registry.address() + "/" + Infra.REPO + ":v1")
                .orThrow();
        try {
            relay = new EngineRelay(d0.hostAddress(), d0.port());
            Path fleet =
                    Infra.writeFleet(
                            APP,
                            """
                            canary: [docker0]
                            steps: ["100%"]
                            maxUnavailable: 1
                            deadlines: {health: 10s}
                            """);
            Files.writeString(
                    fleet,
                    Files.readString(fleet)
                            .replace(
                                    d0.tcpEndpoint(),
                                    "tcp://" + d0.hostAddress() + ":" + relay.port()));
            Map<String, String> config = new java.util.HashMap<>(Infra.registryConfig());
            config.put("canary.fleet.path", fleet.toString());
            config.put("canary.deploy.retry-pause", "200ms");
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (relay != null) relay.close();
        Infra.resetToV1();
    }
}
