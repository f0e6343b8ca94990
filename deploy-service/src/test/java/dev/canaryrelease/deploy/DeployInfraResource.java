package dev.canaryrelease.deploy;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Real engines, sshd and registry; v1 running on both hosts; a fleet for app {@code example}. */
public class DeployInfraResource implements QuarkusTestResourceLifecycleManager {
    public static final String APP = "example";

    @Override
    public Map<String, String> start() {
        Infra.start();
        Infra.resetToV1();
        Infra.extraHosts = "";
        String rollout =
                """
                canary: [docker0]
                steps: ["100%"]
                maxUnavailable: 1
                deadlines: {health: 5s}
                """;
        return Map.of("canary.fleet.path", Infra.writeFleet(APP, rollout).toString());
    }

    @Override
    public void stop() {
        // the engines outlive a test class; their shutdown hooks stop them with the JVM
    }
}
