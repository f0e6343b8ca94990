package dev.canaryrelease.lb;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.testsupport.TestFleet;
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
        TestFleet.Builder f =
                TestFleet.builder()
                        .placeholders("tls/ca.pem", "tls/cert.pem", "tls/key.pem")
                        .registry("127.0.0.1:5000")
                        .dns("dns: {backend: hosts-file, hostsFile: /tmp/none}");
        for (int i = 0; i < 3; i++) {
            String address = "127.0.0.1" + (i + 1);
            f.host(
                    "docker" + i,
                    address,
                    null,
                    TestFleet.dockerApi(
                            "tcp://" + address + ":2376",
                            "tls/ca.pem",
                            "tls/cert.pem",
                            "tls/key.pem"));
        }
        return f.loadBalancer("a", apiA, null)
                .loadBalancer("b", apiB, null)
                .app(
                        "example",
                        "repository: proserveau/example-app, port: 3000, backend: " + BACKEND)
                .rollout(
                        "canary: [docker0]\nminReady: 1\ndeadlines: {drain: "
                                + DRAIN_DEADLINE_MS
                                + "ms, enable: 5s}")
                .write();
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
