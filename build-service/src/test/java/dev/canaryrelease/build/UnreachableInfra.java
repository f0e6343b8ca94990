package dev.canaryrelease.build;

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
 * A fleet whose build engine and registry are down (closed ports on 127.0.0.1), a git server that
 * accepts connections and never answers ({@code https://hanging.example/} is rewritten to it), the
 * real local repository of the example app, and a build deadline of 8 s.
 */
public class UnreachableInfra implements QuarkusTestResourceLifecycleManager {
    static final String HANGING_URL = "https://hanging.example/proserveau/example-app.git";

    static GitFixture git;
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
            Path fleet =
                    RealInfra.writeFleet(
                            dir,
                            "tcp://127.0.0.1:" + enginePort,
                            client,
                            "127.0.0.1:" + registryPort,
                            git,
                            "{insteadOf: \"https://hanging.example/\", url: \"http://127.0.0.1:"
                                    + hanging.getLocalPort()
                                    + "/\"}");
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
            dev.canaryrelease.build.domain.BuildStore.deleteTree(dir);
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
