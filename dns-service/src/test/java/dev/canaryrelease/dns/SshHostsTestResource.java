package dev.canaryrelease.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.SshServer;

/**
 * A real sshd and a fleet with the {@code hosts-file} backend: docker1's SSH target is that sshd,
 * the hosts file is in a temporary directory and starts with lines of its own.
 */
public class SshHostsTestResource implements QuarkusTestResourceLifecycleManager {
    static final String HEAD = "127.0.0.1\tlocalhost\r\n# the host's own lines\n10.0.0.1 gw\n";
    static final String TAIL = "# after the block, no final newline";
    static SshServer sshd;
    static Path hostsFile;

    @Override
    public Map<String, String> start() {
        sshd = SshServer.start();
        try {
            Path dir = Files.createTempDirectory("dns-hosts");
            hostsFile = dir.resolve("hosts");
            Files.write(hostsFile, (HEAD + TAIL).getBytes(StandardCharsets.ISO_8859_1));
            Path fleet =
                    TestFleets.write(
                            dir,
                            """
                            dns:
                              backend: hosts-file
                              hostsFile: "%s"
                            """
                                    .formatted(hostsFile),
                            "{host: %s, port: %d, user: %s, privateKey: \"%s\", knownHosts: \"%s\"}"
                                    .formatted(
                                            sshd.host(),
                                            sshd.port(),
                                            sshd.user(),
                                            sshd.privateKey(),
                                            sshd.knownHosts()));
            return Map.of(
                    "canary.fleet.path", fleet.toString(),
                    "canary.dns.reconcile-interval", "1h",
                    "canary.dns.timeout", "5s");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (sshd != null) {
            sshd.close();
        }
    }
}
