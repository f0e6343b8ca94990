package dev.canaryrelease.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.awaitility.Awaitility;

import dev.canaryrelease.testsupport.TestFleet;
import dev.canaryrelease.testsupport.infra.DockerEngine;
import dev.canaryrelease.testsupport.infra.ExampleApp;
import dev.canaryrelease.testsupport.infra.ExecResult;
import dev.canaryrelease.testsupport.infra.RegistryServer;
import dev.canaryrelease.testsupport.infra.SshServer;

/**
 * The real infrastructure of the deploy tests, started once per JVM: docker0 (a dockerd reached
 * over TCP with TLS client certificates, docker-api driver), docker1 (a dockerd reached through a
 * real sshd, ssh driver), a real registry (TLS, htpasswd users; deploy-service's engines pull as
 * {@code deploy-service}) with the example app pushed as v1, v2 and a broken v3.
 */
public final class Infra {
    public static final String CONTAINER = "example-app";
    public static final String REPO = "example-app";

    public static DockerEngine docker0;
    public static DockerEngine docker1;
    public static SshServer ssh1;
    public static RegistryServer registry;
    public static String v1;
    public static String v2;
    public static String broken;

    private Infra() {}

    public static synchronized void start() {
        if (registry != null) return;
        registry = RegistryServer.start(null, null);
        docker0 = DockerEngine.start("docker0");
        docker1 = DockerEngine.start("docker1");
        ssh1 = SshServer.start(docker1);
        // the CLIs (test set-up only): docker0 builds and pushes as CI, docker1 pulls as deploy
        registry.login(docker0, "ci-user");
        registry.login(docker1, "deploy-service");
        v1 = ExampleApp.buildAndPush(docker0, registry.address(), REPO, "v1", "v1", false);
        v2 = ExampleApp.buildAndPush(docker0, registry.address(), REPO, "v2", "v2", false);
        broken = ExampleApp.buildAndPush(docker0, registry.address(), REPO, "v3", "v3", true);
    }

    /** Every app container removed, v1 running on both hosts (as dev/up leaves them). */
    public static void resetToV1() {
        for (DockerEngine e : List.of(docker0, docker1)) {
            ExecResult ids = e.docker("ps", "-aq", "--filter", "name=" + CONTAINER).orThrow();
            List<String> all =
                    Arrays.stream(ids.stdout().strip().split("\\s+"))
                            .filter(s -> !s.isEmpty())
                            .toList();
            if (!all.isEmpty()) {
                String[] args = new String[all.size() + 2];
                args[0] = "rm";
                args[1] = "-f";
                for (int i = 0; i < all.size(); i++) args[i + 2] = all.get(i);
                e.docker(args).orThrow();
            }
            ExampleApp.run(
                    e,
                    registry.address() + "/" + REPO + ":v1",
                    CONTAINER,
                    e.hostAddress(),
                    ExampleApp.PORT,
                    e == docker0 ? "docker0" : "docker1");
        }
    }

    /** A fleet of the two engines; {@code app} names the app (tests use distinct apps). */
    public static Path writeFleet(String app, String canaryRollout) {
        return writeFleet(app, canaryRollout, List.of());
    }

    /**
     * The fleet of {@link #writeFleet(String, String)} with more apps, each with a container, an
     * image (not pushed: a test of these apps stops before their swap) and a port of its own (3001,
     * 3002, ...), on the same hosts.
     */
    public static Path writeFleet(String app, String canaryRollout, List<String> moreApps) {
        java.util.Map<String, String> apps = new java.util.LinkedHashMap<>();
        apps.put(
                app,
                "repository: proserveau/%s, image: %s, container: %s, port: 3000,"
                                .formatted(app, REPO, CONTAINER)
                        + " healthPath: /health");
        for (int i = 0; i < moreApps.size(); i++) {
            String more = moreApps.get(i);
            apps.put(
                    more,
                    "repository: proserveau/%s, image: %s, container: %s, port: %d, healthPath: /health"
                            .formatted(more, more, more, 3001 + i));
        }
        return writeFleet(canaryRollout, apps);
    }

    /** A fleet of the two engines with these apps (name → the YAML fields after the name). */
    public static Path writeFleet(String canaryRollout, java.util.Map<String, String> apps) {
        try {
            var tls = docker0.clientTls();
            TestFleet.Builder b =
                    TestFleet.builder()
                            .file("tsig.key", "c2VjcmV0\n")
                            .registry(registry.address(), registry.url(), registry.ca().toString())
                            .dns(
                                    """
                            dns:
                              server: "127.0.0.1:5353"
                              tsig: {name: canary-release, secretFile: tsig.key}
                            """)
                            .host("cfgmgr", "127.0.0.10")
                            .host(
                                    "docker0",
                                    docker0.hostAddress(),
                                    "canary",
                                    TestFleet.dockerApi(
                                            docker0.tcpEndpoint(),
                                            tls.ca().toString(),
                                            tls.cert().toString(),
                                            tls.key().toString()))
                            .host(
                                    "docker1",
                                    docker1.hostAddress(),
                                    null,
                                    ("{driver: ssh, endpoint: \"unix://%s\", ssh: {host: \"%s\", port: %d,"
                                                    + " user: %s, privateKey: \"%s\", knownHosts: \"%s\"}}")
                                            .formatted(
                                                    docker1.unixSocket(),
                                                    ssh1.host(),
                                                    ssh1.port(),
                                                    ssh1.user(),
                                                    ssh1.privateKey(),
                                                    ssh1.knownHosts()))
                            .hosts(extraHosts)
                            .loadBalancer(
                                    "cfgmgr",
                                    "unix:///tmp/haproxy-deploy-test.sock",
                                    "http://127.0.0.10:8000");
            apps.forEach(b::app);
            return b.rollout(canaryRollout).writeIn(Files.createTempDirectory("deploy-fleet"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The config every deploy-service test gives the service: the registry password file. */
    public static java.util.Map<String, String> registryConfig() {
        return java.util.Map.of(
                "canary.registry.password-file",
                registry.credentials("deploy-service").passwordFile().toString());
    }

    /** Extra host entries (YAML list items, indented by 2) for the next {@link #writeFleet}. */
    public static String extraHosts = "";

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /** Waits (20 s at most) until the engine's published app answers 200 with {@code version}. */
    public static void awaitPage(DockerEngine e, String version) {
        Awaitility.await(e.name() + " serves " + version)
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> page(e), p -> p.startsWith("200") && p.contains(version));
    }

    /** A known_hosts file that pins a key other than ssh1's own for ssh1's address. */
    public static Path knownHostsWithAnotherKey() {
        try {
            Path file = Files.createTempFile("known_hosts", "");
            Files.writeString(
                    file,
                    "["
                            + ssh1.host()
                            + "]:"
                            + ssh1.port()
                            + " ssh-ed25519"
                            + " AAAAC3NzaC1lZDI1NTE5AAAAIE9rc2Fub3RoZXJrZXlub3RoZWhvc3RzMTIzNDU2\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example app's page on an engine's published port, or the error. */
    public static String page(DockerEngine e) {
        try {
            HttpResponse<String> r =
                    HTTP.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://"
                                                            + e.hostAddress()
                                                            + ":"
                                                            + ExampleApp.PORT
                                                            + "/"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (IOException ex) {
            return "error " + ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Names of the running app containers (all states with {@code -a}). */
    public static List<String> containers(DockerEngine e, boolean all) {
        ExecResult r =
                all
                        ? e.docker(
                                "ps",
                                "-a",
                                "--filter",
                                "name=" + CONTAINER,
                                "--format",
                                "{{.Names}} {{.State}}")
                        : e.docker("ps", "--filter", "name=" + CONTAINER, "--format", "{{.Names}}");
        return Arrays.stream(r.orThrow().stdout().strip().split("\n"))
                .filter(s -> !s.isBlank())
                .sorted()
                .toList();
    }

    /** The digest label (or image reference) of the running {@code example-app} container. */
    public static String runningImage(DockerEngine e) {
        return e.docker("inspect", "--format", "{{.Config.Image}}", CONTAINER)
                .orThrow()
                .stdout()
                .strip();
    }
}
