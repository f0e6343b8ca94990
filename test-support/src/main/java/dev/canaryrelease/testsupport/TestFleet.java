package dev.canaryrelease.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A valid fleet file in a temporary folder for tests that need the reference fleet's shape but not
 * its machines: hosts docker0 (canary, docker-api over TLS), docker1 (ssh) and docker2, app {@code
 * example} from {@code proserveau/example-app}. The TLS and SSH files exist but are placeholders.
 * As a test resource it sets {@code canary.fleet.path}.
 */
public class TestFleet implements QuarkusTestResourceLifecycleManager {

    /** Writes the fleet (with {@code extraYaml} appended) and returns its path. */
    public static Path write(String extraYaml) {
        try {
            Path dir = Files.createTempDirectory("fleet");
            for (String f :
                    new String[] {
                        "tls/ca.pem",
                        "tls/cert.pem",
                        "tls/key.pem",
                        "ssh/id",
                        "ssh/known_hosts",
                        "tsig.key"
                    }) {
                Path p = dir.resolve(f);
                Files.createDirectories(p.getParent());
                Files.writeString(p, "placeholder\n");
            }
            String yaml =
                    """
                    domain: proserveau.local
                    registry: {address: "127.0.0.1:5000"}
                    dns:
                      server: "127.0.0.1:5353"
                      tsig: {name: canary-release, secretFile: tsig.key}
                    hosts:
                      - {name: cfgmgr, address: 127.0.0.10}
                      - name: docker0
                        address: 127.0.0.11
                        role: canary
                        docker: {driver: docker-api, endpoint: "tcp://127.0.0.11:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
                      - name: docker1
                        address: 127.0.0.12
                        docker: {driver: ssh, ssh: {host: 127.0.0.12, port: 2222, privateKey: ssh/id, knownHosts: ssh/known_hosts}}
                      - name: docker2
                        address: 127.0.0.13
                        docker: {driver: docker-api, endpoint: "tcp://127.0.0.13:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
                    loadBalancers:
                      - {name: cfgmgr, runtimeApi: "unix:///tmp/haproxy-test.sock", frontend: "http://127.0.0.10:8000"}
                    apps:
                      - {name: example, repository: proserveau/example-app, port: 3000}
                    rollout:
                      canary: [docker0]
                    """
                            + extraYaml;
            Path file = dir.resolve("fleet.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        return Map.of("canary.fleet.path", write("").toString());
    }

    @Override
    public void stop() {}
}
