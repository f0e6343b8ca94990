package dev.canaryrelease.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.canaryrelease.lb.client.HaproxyLogReceiver;
import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.HaproxyServer;

/**
 * Two real HTTP back ends (docker0 the canary, docker1) behind one real HAProxy that sends its
 * per-request log lines to lb-service's receiver, and a fleet whose app {@code example} (backend
 * {@code web}) is analysed every second, its canary weighted at 5 % and then 25 %.
 */
public class LbAnalysisResource implements QuarkusTestResourceLifecycleManager {
    static final String BACKEND = "web";

    static final List<TestBackend> backends = new ArrayList<>();
    static HaproxyServer haproxy;

    static TestBackend backend(String name) {
        return backends.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    @Override
    public Map<String, String> start() {
        int logPort;
        try (DatagramSocket s =
                new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            logPort = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        HaproxyServer.Spec spec =
                HaproxyServer.Spec.backend(BACKEND)
                        .log("127.0.0.1:" + logPort, HaproxyLogReceiver.LOG_FORMAT);
        for (String n : List.of("docker0", "docker1")) {
            TestBackend b = TestBackend.start(n);
            backends.add(b);
            spec.server(n, "127.0.0.1", b.port());
        }
        haproxy = HaproxyServer.start(spec);
        TestFleet.Builder f =
                TestFleet.builder()
                        .placeholders("tls/ca.pem", "tls/cert.pem", "tls/key.pem")
                        .registry("127.0.0.1:5000")
                        .dns("dns: {backend: hosts-file, hostsFile: /tmp/none}");
        for (int i = 0; i < 2; i++) {
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
        String fleet =
                f.loadBalancer("lb", haproxy.unixRuntimeApi(), null)
                        .app(
                                "example",
                                "repository: proserveau/example-app, port: 3000, backend: "
                                        + BACKEND
                                        + ", analysis: {interval: 1s, minRequests: 20, weights: [5%, 25%]}")
                        .rollout("canary: [docker0]\nminReady: 1")
                        .write()
                        .toString();
        return Map.of(
                "canary.fleet.path", fleet, "canary.lb.analysis-log-port", String.valueOf(logPort));
    }

    @Override
    public void stop() {
        if (haproxy != null) haproxy.close();
        backends.forEach(TestBackend::close);
        backends.clear();
    }
}
