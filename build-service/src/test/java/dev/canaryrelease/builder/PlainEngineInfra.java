package dev.canaryrelease.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.RegistryServer;

/**
 * {@link RealInfra}'s parts with a build engine that runs its containers as the host's root: a
 * plain {@code dockerd} (no {@code --userns-remap}), where the kernel would not apply the pids
 * limit to a root build step.
 */
public class PlainEngineInfra implements QuarkusTestResourceLifecycleManager {
    static DockerEngine engine;
    static RegistryServer registry;
    static GitFixture git;
    private static Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("build-service-plain-");
            git = new GitFixture(dir);
            registry = RegistryServer.start();
            engine = DockerEngine.start("docker0");
            Path data =
                    Files.createDirectories(
                            Path.of("target", "build-data", dir.getFileName().toString()));
            Path fleet =
                    RealInfra.writeFleet(
                            dir,
                            engine.tcpEndpoint(),
                            engine.clientTls(),
                            registry.address(),
                            RealInfra.gitSection(git),
                            "");
            return Map.of(
                    "canary.fleet.path", fleet.toString(),
                    "canary.data-dir", data.toString(),
                    "canary.registry.password-file",
                            registry.credentials("build-service").passwordFile().toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (dir != null) {
            dev.canaryrelease.builder.domain.BuildStore.deleteTree(dir);
        }
        if (engine != null) {
            engine.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
