package dev.canaryrelease.deploy;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Real engines, sshd and registry; v1 running on both hosts; a fleet for app {@code example} (a
 * subclass names another app or rollout).
 */
public class DeployInfraResource implements QuarkusTestResourceLifecycleManager {
    public static final String APP = "example";

    /** The app of the fleet (tests use distinct apps). */
    protected String app() {
        return APP;
    }

    /** The fleet's {@code rollout:} block. */
    protected String rollout() {
        return """
        canary: [docker0]
        steps: ["100%"]
        maxUnavailable: 1
        deadlines: {health: 5s}
        """;
    }

    @Override
    public Map<String, String> start() {
        Infra.start();
        Infra.resetToV1();
        Infra.extraHosts = "";
        Map<String, String> config = new java.util.HashMap<>(Infra.registryConfig());
        config.put("canary.fleet.path", Infra.writeFleet(app(), rollout()).toString());
        return config;
    }

    @Override
    public void stop() {
        // the engines outlive a test class; their shutdown hooks stop them with the JVM
    }
}
