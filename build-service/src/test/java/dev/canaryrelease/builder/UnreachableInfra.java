package dev.canaryrelease.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.FreePorts;
import dev.canaryrelease.testsupport.infra.Pki;
import dev.canaryrelease.testsupport.infra.TlsFiles;

/**
 * A fleet whose build engine and registry are down (closed ports on 127.0.0.1), whose git host
 * ({@code git.url: https://git.example.test/}, with a token file) is a {@link RecordingGitServer},
 * with the app {@code example} rewritten to the real local repository of the example app, the app
 * {@code hanging} to a git server that accepts connections and never answers, the app {@code
 * recorded} on the git host itself; a second recording server stands for an attacker's; a build
 * deadline of 8 s.
 */
public class UnreachableInfra implements QuarkusTestResourceLifecycleManager {
    static final String HANGING_REPOSITORY = "proserveau/hanging-app";
    static final String RECORDED_REPOSITORY = "proserveau/recorded-app";
    static final String TOKEN = "ghs_test-token-" + java.util.UUID.randomUUID();

    static GitFixture git;

    /** The fleet's git host. */
    static RecordingGitServer gitHost;

    /** A server a forged event names as its clone URL. */
    static RecordingGitServer attacker;

    private static Path dir;
    static int enginePort;
    static Path dataDir;
    private static ServerSocket hanging;
    private static final List<Socket> held = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("build-service-down-");
            git = new GitFixture(dir);
            git.commitApp("v1");
            Pki pki = Pki.create(dir.resolve("pki"));
            TlsFiles client = pki.clientCert();
            enginePort = FreePorts.pick();
            int registryPort = FreePorts.pick();
            hanging = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread t =
                    new Thread(
                            () -> {
                                while (!hanging.isClosed()) {
                                    try {
                                        held.add(hanging.accept());
                                    } catch (IOException e) {
                                        return;
                                    }
                                }
                            },
                            "hanging-git-server");
            t.setDaemon(true);
            t.start();
            gitHost = new RecordingGitServer();
            attacker = new RecordingGitServer();
            Files.writeString(dir.resolve("git-token"), TOKEN + "\n");
            String gitSection =
                    """
                    git:
                      url: "https://git.example.test/"
                      tokenFile: git-token
                      urlRewrites:
                        - {insteadOf: "https://git.example.test/", url: "%s"}
                        - {insteadOf: "https://git.example.test/%s", url: "%s%s"}
                        - {insteadOf: "https://git.example.test/%s", url: "http://127.0.0.1:%d/%s"}
                    """
                            .formatted(
                                    gitHost.url(),
                                    GitFixture.REPOSITORY,
                                    git.rewriteUrl(),
                                    GitFixture.REPOSITORY,
                                    HANGING_REPOSITORY,
                                    hanging.getLocalPort(),
                                    HANGING_REPOSITORY);
            Path fleet =
                    RealInfra.writeFleet(
                            dir,
                            "tcp://127.0.0.1:" + enginePort,
                            client,
                            "127.0.0.1:" + registryPort,
                            gitSection,
                            """
                              - {name: hanging, repository: %s, port: 3001}
                              - {name: recorded, repository: %s, port: 3002}
                            """
                                    .formatted(HANGING_REPOSITORY, RECORDED_REPOSITORY));
            dataDir =
                    Files.createDirectories(
                            Path.of("target", "build-data", dir.getFileName().toString()));
            return Map.of(
                    "canary.fleet.path",
                    fleet.toString(),
                    "canary.data-dir",
                    dataDir.toString(),
                    "canary.build.deadline",
                    "8s",
                    "canary.build.engine-connect-timeout",
                    "2s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (dir != null) {
            dev.canaryrelease.builder.domain.BuildStore.deleteTree(dir);
        }
        if (gitHost != null) {
            gitHost.close();
            attacker.close();
        }
        try {
            hanging.close();
            for (Socket s : held) {
                s.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
    }
}
