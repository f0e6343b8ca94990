package dev.canaryrelease.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.utils.Utils;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.KafkaTestResource;
import dev.canaryrelease.testsupport.TestFleet;
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

    /**
     * A folder outside every checkout holding {@code token} ({@link #SECRET}): a host's secrets.
     */
    static Path secrets;

    static final String SECRET = "host-secret-" + java.util.UUID.randomUUID();

    /** Deadline and limits of the app {@code busy} (branch {@code busy}). */
    static final String BUSY_LIMITS = "{memory: 256m, cpus: 0.5, pids: 64, deadline: 8s}";

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("build-service-test-");
            git = new GitFixture(dir);
            secrets = Files.createDirectories(dir.resolve("secrets"));
            Files.writeString(secrets.resolve("token"), SECRET);
            registry = RegistryServer.start();
            engine = DockerEngine.startWithUsernsRemap("docker0");
            dataDir =
                    Files.createDirectories(
                            Path.of("target", "build-data", dir.getFileName().toString()));
            staleMirror =
                    dataDir.resolve("mirrors").resolve("0123456789abcdef0123456789abcdef.git");
            seedMirror(staleMirror, "someone/left-the-fleet");
            Path fleet =
                    writeFleet(
                            dir,
                            engine.tcpEndpoint(),
                            engine.clientTls(),
                            registry.address(),
                            gitSection(git),
                            """
                              - {name: example2, repository: %s, branch: twin, image: example-app-2, port: 3001}
                              - {name: busy, repository: %s, branch: busy, image: busy-app, port: 3002, build: %s}
                            """
                                            .formatted(
                                                    GitFixture.REPOSITORY,
                                                    GitFixture.REPOSITORY,
                                                    BUSY_LIMITS)
                                    + ownedApps());
            return Map.of(
                    "canary.fleet.path", fleet.toString(),
                    "canary.data-dir", dataDir.toString(),
                    "canary.registry.password-file",
                            registry.credentials("build-service").passwordFile().toString(),
                    "canary.build.deadline", "2m",
                    // PartitionOwnershipTest runs a build of each of its six apps at once
                    "canary.build.pool-size", "6");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One app per partition of the test broker's topics ({@link PartitionOwnershipTest}): the
     * producers' default partitioner puts the key {@code owned-<n>} (the app) on partition {@code
     * n} of the list.
     */
    static final List<String> OWNED_APPS = onEveryPartition();

    static List<String> onEveryPartition() {
        String[] byPartition = new String[KafkaTestResource.PARTITIONS];
        int found = 0;
        for (int i = 0; found < byPartition.length; i++) {
            String app = "owned-" + i;
            int p = partitionOf(app);
            if (byPartition[p] == null) {
                byPartition[p] = app;
                found++;
            }
        }
        return List.of(byPartition);
    }

    /** The partition the producers' default partitioner gives the key {@code app}. */
    static int partitionOf(String app) {
        return Utils.toPositive(Utils.murmur2(app.getBytes(StandardCharsets.UTF_8)))
                % KafkaTestResource.PARTITIONS;
    }

    private static String ownedApps() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < OWNED_APPS.size(); i++) {
            b.append("  - {name: ")
                    .append(OWNED_APPS.get(i))
                    .append(", repository: ")
                    .append(GitFixture.REPOSITORY)
                    .append(", branch: ")
                    .append(OWNED_APPS.get(i))
                    .append(", image: ")
                    .append(OWNED_APPS.get(i))
                    .append(", port: ")
                    .append(3100 + i)
                    .append("}\n");
        }
        return b.toString();
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

    /** The fleet's git section: github.com rewritten to the local repositories, and more. */
    static String gitSection(GitFixture git, String... extraRewrites) {
        StringBuilder b =
                new StringBuilder(
                        "git:\n  urlRewrites:\n    - {insteadOf: \"https://github.com/\", url: \""
                                + git.rewriteUrl()
                                + "\"}\n");
        for (String r : extraRewrites) {
            b.append("    - ").append(r).append("\n");
        }
        return b.toString();
    }

    /**
     * A fleet with the build host {@code docker0} at {@code endpoint}, the app {@code example} of
     * {@link GitFixture#REPOSITORY} and {@code extraApps} (YAML list items).
     */
    static Path writeFleet(
            Path dir,
            String endpoint,
            TlsFiles tls,
            String registryAddress,
            String gitSection,
            String extraApps)
            throws IOException {
        return TestFleet.builder()
                .file("tsig.key", "placeholder\n")
                .registry(registryAddress)
                .dns(
                        """
                        dns:
                          server: "127.0.0.1:5353"
                          tsig: {name: canary-release, secretFile: tsig.key}
                        """)
                .git(gitSection)
                .build("docker0")
                .host("cfgmgr", "127.0.0.10")
                .host(
                        "docker0",
                        "127.0.0.11",
                        "canary",
                        TestFleet.dockerApi(
                                endpoint,
                                tls.ca().toString(),
                                tls.cert().toString(),
                                tls.key().toString()))
                .loadBalancer("cfgmgr", "unix:///tmp/haproxy-test.sock", "http://127.0.0.10:8000")
                .app(
                        "example",
                        "repository: " + GitFixture.REPOSITORY + ", image: example-app, port: 3000")
                .apps(extraApps)
                .rollout("canary: [docker0]\nminReady: 0")
                .writeIn(dir);
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
