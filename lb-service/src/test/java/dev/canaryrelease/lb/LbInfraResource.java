package dev.canaryrelease.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * Three real HTTP back ends (docker0..docker2) behind two real HAProxy instances of one pool:
 * {@code a} reached on its unix socket, {@code b} on {@code ipv4@127.0.0.1:port}; and a fleet whose
 * app {@code example} uses backend {@code web}, minReady 1, a short drain deadline.
 */
public class LbInfraResource implements QuarkusTestResourceLifecycleManager {
    static final String BACKEND = "web";
    static final String ROUTE_HEADER = "x-canary-server";
    static final long DRAIN_DEADLINE_MS = 2500;

    static List<TestBackend> backends = new ArrayList<>();
    static HaproxyServer a;
    static HaproxyServer b;

    static TestBackend backend(String name) {
        return backends.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    static HaproxyServer.Spec spec() {
        HaproxyServer.Spec spec =
                HaproxyServer.Spec.backend(BACKEND).routeHeader(ROUTE_HEADER).slowstart("1s");
        for (TestBackend t : backends) {
            spec.server(t.name(), "127.0.0.1", t.port());
        }
        return spec;
    }

    @Override
    public Map<String, String> start() {
        for (String n : List.of("docker0", "docker1", "docker2")) {
            backends.add(TestBackend.start(n));
        }
        a = HaproxyServer.start(spec());
        b = HaproxyServer.start(spec());
        return Map.of("canary.fleet.path", fleet(a.unixRuntimeApi(), b.tcpRuntimeApi()).toString());
    }

    static Path fleet(String apiA, String apiB) {
        try {
            Path dir = Files.createTempDirectory("lb-fleet");
            for (String f : new String[] {"tls/ca.pem", "tls/cert.pem", "tls/key.pem"}) {
                Path p = dir.resolve(f);
                Files.createDirectories(p.getParent());
                Files.writeString(p, "placeholder\n");
            }
            StringBuilder hosts = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                hosts.append("  - name: docker")
                        .append(i)
                        .append("\n    address: 127.0.0.1")
                        .append(i + 1)
                        .append("\n    docker: {driver: docker-api, endpoint: \"tcp://127.0.0.1")
                        .append(i + 1)
                        .append(
                                ":2376\", tls: {ca: tls/ca.pem, cert: tls/cert.pem, key: tls/key.pem}}\n");
            }
            String yaml =
                    "domain: proserveau.local\n"
                            + "registry: {address: \"127.0.0.1:5000\"}\n"
                            + "dns: {backend: hosts-file, hostsFile: /tmp/none}\n"
                            + "hosts:\n"
                            + hosts
                            + "loadBalancers:\n"
                            + "  - {name: a, runtimeApi: \""
                            + apiA
                            + "\"}\n"
                            + "  - {name: b, runtimeApi: \""
                            + apiB
                            + "\"}\n"
                            + "apps:\n"
                            + "  - {name: example, repository: proserveau/example-app, port: 3000, backend: "
                            + BACKEND
                            + "}\n"
                            + "rollout:\n"
                            + "  canary: [docker0]\n"
                            + "  minReady: 1\n"
                            + "  deadlines: {drain: "
                            + DRAIN_DEADLINE_MS
                            + "ms, enable: 5s}\n";
            Path file = dir.resolve("fleet.yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        backends.forEach(TestBackend::close);
        backends.clear();
    }
}
