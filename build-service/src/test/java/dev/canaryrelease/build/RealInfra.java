package dev.canaryrelease.build;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.RegistryServer;
import dev.canaryrelease.testsupport.infra.TlsFiles;

/**
 * The real things build-service drives: a dockerd over TLS (the build host docker0), a
 * docker-registry (TLS, htpasswd: build-service pushes as its own user), a bare git repository of
 * the example app, and a fleet naming them.
 */
public class RealInfra implements QuarkusTestResourceLifecycleManager {
    static DockerEngine engine;
    static RegistryServer registry;
    static GitFixture git;
    private static Path dir;
    static Path dataDir;
    static Path staleMirror;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("build-service-test-");
            git = new GitFixture(dir);
            registry = RegistryServer.start();
            engine = DockerEngine.start("docker0");
            dataDir =
                    Files.createDirectories(
                            Path.of("target", "build-data", dir.getFileName().toString()));
            staleMirror =
                    dataDir.resolve("mirrors").resolve("0123456789abcdef0123456789abcdef.git");
            seedMirror(staleMirror, "someone/left-the-fleet");
            Path fleet =
                    writeFleet(
                            dir, engine.tcpEndpoint(), engine.clientTls(), registry.address(), git);
            return Map.of(
                    "canary.fleet.path", fleet.toString(),
                    "canary.data-dir", dataDir.toString(),
                    "canary.registry.password-file",
                            registry.credentials("build-service").passwordFile().toString(),
                    "canary.build.deadline", "2m");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A local mirror build-service would have made for {@code repository} in an earlier run. */
    static void seedMirror(Path folder, String repository) throws IOException {
        try (Repository repo =
                new FileRepositoryBuilder().setGitDir(folder.toFile()).setBare().build()) {
            repo.create(true);
            repo.getConfig().setString("canary", null, "repository", repository);
            repo.getConfig().save();
        }
    }

    static Path writeFleet(
            Path dir,
            String endpoint,
            TlsFiles tls,
            String registryAddress,
            GitFixture git,
            String... extraRewrites)
            throws IOException {
        StringBuilder rewrites = new StringBuilder();
        for (String r : extraRewrites) {
            rewrites.append("    - ").append(r).append("\n");
        }
        String yaml =
                """
                domain: proserveau.local
                registry: {address: "%s"}
                dns:
                  server: "127.0.0.1:5353"
                  tsig: {name: canary-release, secretFile: tsig.key}
                git:
                  urlRewrites:
                    - {insteadOf: "https://github.com/", url: "%s"}
                %sbuild: {host: docker0}
                hosts:
                  - {name: cfgmgr, address: 127.0.0.10}
                  - name: docker0
                    address: 127.0.0.11
                    role: canary
                    docker: {driver: docker-api, endpoint: "%s", tls: {ca: "%s", cert: "%s", key: "%s"}}
                loadBalancers:
                  - {name: cfgmgr, runtimeApi: "unix:///tmp/haproxy-test.sock", frontend: "http://127.0.0.10:8000"}
                apps:
                  - {name: example, repository: %s, image: example-app, port: 3000}
                  - {name: example2, repository: %s, image: example-app-2, port: 3001}
                rollout:
                  canary: [docker0]
                  minReady: 0
                """
                        .formatted(
                                registryAddress,
                                git.rewriteUrl(),
                                rewrites,
                                endpoint,
                                tls.ca(),
                                tls.cert(),
                                tls.key(),
                                GitFixture.REPOSITORY,
                                GitFixture.REPOSITORY);
        Files.writeString(dir.resolve("tsig.key"), "placeholder\n");
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Override
    public void stop() {
        if (dir != null) {
            dev.canaryrelease.build.domain.BuildStore.deleteTree(dir);
        }
        if (engine != null) {
            engine.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
