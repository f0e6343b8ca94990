package dev.canaryrelease.dns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fleet files for the tests: the reference fleet on 127.0.0.x with a given dns section. */
final class TestFleets {
    private TestFleets() {}

    /**
     * Writes {@code dir/fleet.yaml}. {@code docker1Ssh} is the {@code ssh:} mapping of docker1's
     * engine (empty: placeholder files).
     */
    static Path write(Path dir, String dnsSection, String docker1Ssh) throws IOException {
        for (String f :
                new String[] {
                    "tls/ca.pem", "tls/cert.pem", "tls/key.pem", "ssh/id", "ssh/known_hosts"
                }) {
            Path p = dir.resolve(f);
            Files.createDirectories(p.getParent());
            if (!Files.exists(p)) {
                Files.writeString(p, "placeholder\n");
            }
        }
        String ssh =
                docker1Ssh.isEmpty()
                        ? "{host: 127.0.0.12, port: 2222, privateKey: ssh/id, knownHosts: ssh/known_hosts}"
                        : docker1Ssh;
        String yaml =
                """
                domain: proserveau.local
                registry: {address: "127.0.0.1:5000"}
                %s
                hosts:
                  - {name: cfgmgr, address: 127.0.0.10}
                  - name: docker0
                    address: 127.0.0.11
                    role: canary
                    docker: {driver: docker-api, endpoint: "tcp://127.0.0.11:2376", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}
                  - name: docker1
                    address: 127.0.0.12
                    docker: {driver: ssh, ssh: %s}
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
                        .formatted(dnsSection, ssh);
        Path file = dir.resolve("fleet.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
