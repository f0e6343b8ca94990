package dev.canaryrelease.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.NamedServer;

/**
 * A real named serving {@code proserveau.local} with a TSIG key, and a fleet whose {@code bind}
 * backend points at it. The fleet's secret file is a copy of named's, so a test can break it.
 */
public class NamedTestResource implements QuarkusTestResourceLifecycleManager {
    static NamedServer named;
    static Path secretFile;

    @Override
    public Map<String, String> start() {
        named = NamedServer.start("proserveau.local");
        try {
            Path dir = Files.createTempDirectory("dns-fleet");
            secretFile = dir.resolve("tsig.secret");
            Files.writeString(secretFile, named.tsigSecret() + "\n");
            Path fleet =
                    TestFleets.write(
                            dir,
                            """
                            dns:
                              backend: bind
                              server: "%s"
                              tsig: {name: %s, algorithm: %s, secretFile: tsig.secret}
                              ttl: 45
                            """
                                    .formatted(
                                            named.address(),
                                            named.tsigKeyName(),
                                            named.tsigAlgorithm()),
                            "");
            return Map.of(
                    "canary.fleet.path",
                    fleet.toString(),
                    "canary.dns.reconcile-interval",
                    "1h",
                    "canary.dns.timeout",
                    "3s",
                    "canary.data-dir",
                    dir.resolve("data").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Puts the right secret back in the fleet's secret file. */
    static void restoreSecret() throws IOException {
        Files.writeString(secretFile, named.tsigSecret() + "\n");
    }

    @Override
    public void stop() {
        if (named != null) {
            named.close();
        }
    }
}
