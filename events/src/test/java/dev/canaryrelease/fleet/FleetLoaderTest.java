package dev.canaryrelease.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetLoaderTest {
    @TempDir Path dir;

    static final String VALID =
            """
            domain: proserveau.local
            registry: {address: "127.0.0.1:5000"}
            dns:
              server: "127.0.0.1:5353"
              tsig: {name: k, secretFile: tsig.key}
            hosts:
              - {name: cfgmgr, address: 127.0.0.10}
              - name: docker0
                address: 127.0.0.11
                role: canary
                docker: {driver: docker-api, endpoint: "tcp://127.0.0.11:2376", tls: {ca: ca.pem, cert: cert.pem, key: key.pem}}
              - name: docker1
                address: 127.0.0.12
                docker: {driver: ssh, ssh: {host: 127.0.0.12, port: 2222, privateKey: id, knownHosts: known_hosts}}
            loadBalancers:
              - {name: cfgmgr, runtimeApi: "unix:///run/haproxy.sock", frontend: "http://127.0.0.10:80"}
            apps:
              - {name: example, repository: proserveau/example-app, port: 3000}
            rollout:
              canary: [docker0]
              steps: [1, "100%"]
              deadlines: {drain: 5s}
            """;

    @BeforeEach
    void files() throws IOException {
        for (String f : List.of("ca.pem", "cert.pem", "key.pem", "id", "known_hosts", "tsig.key")) {
            Files.writeString(dir.resolve(f), "x");
        }
    }

    private Path write(String yaml) throws IOException {
        Path f = dir.resolve("fleet.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private String problems(String yaml) throws IOException {
        Path f = write(yaml);
        FleetException e = assertThrows(FleetException.class, () -> FleetLoader.load(f));
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void loadsAValidFleetWithDefaults() throws IOException {
        Fleet fleet = FleetLoader.load(write(VALID));
        assertEquals("proserveau.local", fleet.domain());
        assertEquals("http://127.0.0.1:5000", fleet.registry().url());
        assertEquals(List.of("docker0"), fleet.rollout().canary());
        assertEquals(Duration.ofSeconds(5), fleet.rollout().drainTimeout());
        assertEquals(Duration.ofSeconds(30), fleet.rollout().healthTimeout());
        assertEquals("docker0", fleet.buildHost());
        Fleet.App app = fleet.appForRepository("ProServeAU/Example-App").orElseThrow();
        assertEquals("/health", app.healthPath());
        assertEquals("main", app.branch());
        assertEquals("example", app.backend());
        assertEquals(
                dir.resolve("ca.pem"), fleet.host("docker0").get().docker().get().tls().get().ca());
        assertEquals(
                List.of("docker1"),
                fleet.productionHosts().stream().map(Fleet.Host::name).toList());
    }

    @Test
    void theExampleFleetOfTheReferenceArchitectureLoads() throws IOException {
        Path example = Path.of("../dev/fleet.example.yaml");
        Files.copy(example, dir.resolve("fleet.yaml"));
        for (String f :
                List.of(
                        "tls/ca.pem",
                        "tls/cert.pem",
                        "tls/key.pem",
                        "ssh/id_ed25519",
                        "ssh/known_hosts",
                        "secrets/tsig.key")) {
            Files.createDirectories(dir.resolve(f).getParent());
            Files.writeString(dir.resolve(f), "x");
        }
        Fleet fleet = FleetLoader.load(dir.resolve("fleet.yaml"));
        assertEquals(
                List.of("cfgmgr", "docker0", "docker1", "docker2"),
                fleet.hosts().stream().map(Fleet.Host::name).toList());
        assertEquals("cfgmgr:5000", fleet.registry().address());
        assertEquals(3000, fleet.apps().get(0).port());
    }

    @Test
    void releaseByPushIsNobodyByDefaultAndListsRegistryUsers() throws IOException {
        assertEquals(List.of(), FleetLoader.load(write(VALID)).apps().get(0).releaseByPush());
        assertEquals(null, FleetLoader.load(write(VALID)).registry().ca());
        Fleet fleet =
                FleetLoader.load(
                        write(
                                VALID.replace(
                                                "registry: {address: \"127.0.0.1:5000\"}",
                                                "registry: {address: \"127.0.0.1:5000\", url:"
                                                        + " \"https://127.0.0.1:5000\", ca: ca.pem}")
                                        .replace(
                                                "port: 3000}",
                                                "port: 3000, releaseByPush: [ci-user]}")));
        assertEquals(List.of("ci-user"), fleet.apps().get(0).releaseByPush());
        assertEquals(dir.resolve("ca.pem"), fleet.registry().ca());
        String msg =
                problems(VALID.replace("port: 3000}", "port: 3000, releaseByPush: [\"a b\"]}"));
        assertTrue(
                msg.contains(
                        "apps[0](example).releaseByPush[0]: 'a b' is not a registry user name"),
                msg);
        msg =
                problems(
                        VALID.replace(
                                "registry: {address: \"127.0.0.1:5000\"}",
                                "registry: {address: \"127.0.0.1:5000\", ca: nothere.pem}"));
        assertTrue(msg.contains("registry.ca: file"), msg);
    }

    @Test
    void unknownHostInCanary() throws IOException {
        String msg = problems(VALID.replace("canary: [docker0]", "canary: [docker9]"));
        assertTrue(msg.contains("fleet.yaml:20: rollout.canary[0]: unknown host 'docker9'"), msg);
    }

    @Test
    void twoAppsOnOnePort() throws IOException {
        String msg =
                problems(
                        VALID.replace(
                                "  - {name: example, repository: proserveau/example-app, port: 3000}",
                                "  - {name: example, repository: proserveau/example-app, port: 3000}\n"
                                        + "  - {name: other, repository: proserveau/other, port: 3000}"));
        assertTrue(
                msg.contains("apps[1](other).port: port 3000 is already used by app 'example'"),
                msg);
    }

    @Test
    void manyAppsEachWithItsOwnPortContainerBackendImageAndRepository() throws IOException {
        StringBuilder apps = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            apps.append(
                    ("  - {name: app-%d, repository: proserveau/app-%d, image: app-%d,"
                                    + " container: app-%d, port: %d, backend: app-%d}\n")
                            .formatted(i, i, i, i, 3000 + i, i));
        }
        Fleet fleet =
                FleetLoader.load(
                        write(
                                VALID.replace(
                                        "  - {name: example, repository: proserveau/example-app,"
                                                + " port: 3000}\n",
                                        apps.toString())));
        assertEquals(20, fleet.apps().size());
        assertEquals(3020, fleet.app("app-20").orElseThrow().port());
        assertEquals(
                "app-7",
                fleet.appForRepository("proserveau/app-7").orElseThrow().name(),
                "a webhook finds its app by repository");
        assertEquals("app-13", fleet.appForImage("app-13").orElseThrow().name(), "a push by image");
    }

    @Test
    void twoAppsThatShareARepositoryBranchImageContainerOrBackend() throws IOException {
        String msg =
                problems(
                        VALID.replace(
                                "  - {name: example, repository: proserveau/example-app, port: 3000}",
                                "  - {name: example, repository: proserveau/example-app, port: 3000}\n"
                                        + "  - {name: twin, repository: Proserveau/Example-App,"
                                        + " image: example, container: example, port: 3001,"
                                        + " backend: example}\n"
                                        + "  - {name: other-branch, repository:"
                                        + " proserveau/example-app, branch: next, port: 3002}\n"
                                        + "  - {name: retainedlike, repository: proserveau/r,"
                                        + " container: example-0123456789ab, port: 3003}"));
        assertTrue(
                msg.contains(
                        "apps[1](twin).repository: branch main of repository Proserveau/Example-App"
                                + " is already used by app 'example' (each app needs its own)"),
                msg);
        assertTrue(
                msg.contains("apps[1](twin).image: image example is already used by app 'example'"),
                msg);
        assertTrue(
                msg.contains(
                        "apps[1](twin).container: container example is already used by app"
                                + " 'example'"),
                msg);
        assertTrue(
                msg.contains(
                        "apps[1](twin).backend: backend example is already used by app 'example'"),
                msg);
        assertTrue(
                msg.contains(
                        "apps[3](retainedlike).container: 'example-0123456789ab' is the name"
                                + " deploy-service gives a retained container of app 'example'"),
                msg);
        // another branch of the same repository is another app
        assertTrue(!msg.contains("apps[2]"), msg);
    }

    @Test
    void tlsFileThatDoesNotExist() throws IOException {
        Files.delete(dir.resolve("ca.pem"));
        String msg = problems(VALID);
        assertTrue(
                msg.contains(
                        "hosts[1](docker0).docker.tls.ca: file "
                                + dir.resolve("ca.pem")
                                + " does not exist"),
                msg);
    }

    @Test
    void batchSizeOfZero() throws IOException {
        String msg = problems(VALID.replace("steps: [1, \"100%\"]", "batchSize: 0"));
        assertTrue(msg.contains("rollout.batchSize: 0 is out of range (1..10000)"), msg);
    }

    @Test
    void badStepAndDuration() throws IOException {
        String msg =
                problems(
                        VALID.replace("steps: [1, \"100%\"]", "steps: [0, \"150%\"]")
                                .replace("drain: 5s", "drain: soon"));
        assertTrue(msg.contains("rollout.steps[0]: '0' is not a host count"), msg);
        assertTrue(msg.contains("rollout.steps[1]: '150%' is not a host count"), msg);
        assertTrue(msg.contains("rollout.deadlines.drain: 'soon' is not a duration"), msg);
    }

    @Test
    void tcpEngineWithoutTlsAndSshWithoutKnownHosts() throws IOException {
        String msg =
                problems(
                        VALID.replace(", tls: {ca: ca.pem, cert: cert.pem, key: key.pem}}", "}")
                                .replace(", knownHosts: known_hosts", ""));
        assertTrue(
                msg.contains(
                        "hosts[1](docker0).docker.tls: missing: a tcp:// Docker endpoint needs TLS"),
                msg);
        assertTrue(msg.contains("hosts[2](docker1).docker.ssh.knownHosts: missing"), msg);
    }

    @Test
    void unknownFieldAndDuplicateHostAndBadYaml() throws IOException {
        String msg =
                problems(
                        VALID.replace(
                                        "domain: proserveau.local",
                                        "domain: proserveau.local\ndomian: typo")
                                .replace(
                                        "{name: cfgmgr, address: 127.0.0.10}",
                                        "{name: docker0, address: 127.0.0.10}"));
        assertTrue(msg.contains("fleet.yaml:2: domian: unknown field"), msg);
        assertTrue(msg.contains("host 'docker0' is defined twice"), msg);
        String yaml = problems("domain: [unclosed\n");
        assertTrue(yaml.contains("not valid YAML"), yaml);
    }

    @Test
    void urlRewriteTakesTheLongestMatch() throws IOException {
        Fleet fleet =
                FleetLoader.load(
                        write(
                                VALID
                                        + """
                                        git:
                                          urlRewrites:
                                            - {insteadOf: "https://github.com/", url: "file:///mirror/"}
                                            - {insteadOf: "https://github.com/proserveau/example-app", url: "file:///srv/example.git"}
                                        """));
        assertEquals(
                "file:///srv/example.git.git".replace(".git.git", ".git"),
                fleet.git()
                        .rewrite("https://github.com/proserveau/example-app.git")
                        .replace(".git.git", ".git"));
        assertEquals("file:///mirror/x/y.git", fleet.git().rewrite("https://github.com/x/y.git"));
    }

    @Test
    void appsAreClonedFromTheFleetsGitHostAndTheTokenBelongsToIt() throws IOException {
        Fleet defaults = FleetLoader.load(write(VALID));
        assertEquals(
                "https://github.com/proserveau/example-app.git",
                defaults.git().cloneUrl("proserveau/example-app"));
        assertEquals("https://github.com", defaults.git().tokenOrigin());

        Fleet fleet =
                FleetLoader.load(
                        write(
                                VALID
                                        + """
                                        git:
                                          url: "https://git.example.org"
                                          urlRewrites:
                                            - {insteadOf: "https://git.example.org/", url: "http://127.0.0.1:8999/git/"}
                                            - {insteadOf: "https://git.example.org/other/", url: "https://elsewhere.example/"}
                                        """));
        assertEquals(
                "https://git.example.org/proserveau/example-app.git",
                fleet.git().cloneUrl("proserveau/example-app"));
        // a rewrite of the whole host moves the token with it; one of a single owner does not
        assertEquals("http://127.0.0.1:8999", fleet.git().tokenOrigin());
        assertEquals(
                "https://elsewhere.example",
                Fleet.Git.origin(fleet.git().rewrite("https://git.example.org/other/x.git")));
        assertEquals("https://h:1", Fleet.Git.origin("HTTPS://user:pw@H:1/x"));

        String msg =
                problems(
                        VALID
                                + """
                                git:
                                  url: "https://user:token@github.com/"
                                """);
        assertTrue(msg.contains("git.url: must not hold credentials"), msg);
    }

    @Test
    void buildLimitsHaveDefaultsAndAreCheckedPerApp() throws IOException {
        Fleet defaults = FleetLoader.load(write(VALID));
        assertEquals(Fleet.BuildLimits.DEFAULTS, defaults.app("example").orElseThrow().build());

        Fleet fleet =
                FleetLoader.load(
                        write(
                                VALID.replace(
                                        "{name: example, repository: proserveau/example-app, port: 3000}",
                                        "{name: example, repository: proserveau/example-app, port: 3000,"
                                                + " build: {memory: 512m, cpus: 0.5, pids: 64, deadline: 90s}}")));
        Fleet.BuildLimits b = fleet.app("example").orElseThrow().build();
        assertEquals(512L << 20, b.memoryBytes());
        assertEquals(0.5, b.cpus());
        assertEquals(64, b.pids());
        assertEquals(java.util.Optional.of(Duration.ofSeconds(90)), b.deadline());

        String msg =
                problems(
                        VALID.replace(
                                "{name: example, repository: proserveau/example-app, port: 3000}",
                                "{name: example, repository: proserveau/example-app, port: 3000,"
                                        + " build: {memory: lots, cpus: -1, pids: 2, deadline: soon, swap: 1g}}"));
        assertTrue(msg.contains("apps[0](example).build.memory: 'lots' is not a size"), msg);
        assertTrue(msg.contains("apps[0](example).build.cpus: '-1' is not a number of CPUs"), msg);
        assertTrue(msg.contains("apps[0](example).build.pids: 2 is out of range"), msg);
        assertTrue(msg.contains("apps[0](example).build.deadline: 'soon' is not a duration"), msg);
        assertTrue(msg.contains("apps[0](example).build.swap: unknown field"), msg);
    }

    private static String withAnalysis(String block) {
        return VALID.replace(
                "{name: example, repository: proserveau/example-app, port: 3000}",
                "{name: example, repository: proserveau/example-app, port: 3000, analysis: "
                        + block
                        + "}");
    }

    @Test
    void analysisIsOffWithoutItsBlockAndTakesTheDefaultsWithAnEmptyOne() throws IOException {
        assertEquals(
                java.util.Optional.empty(),
                FleetLoader.load(write(VALID)).app("example").orElseThrow().analysis());
        Fleet.Analysis a =
                FleetLoader.load(write(withAnalysis("{}")))
                        .app("example")
                        .orElseThrow()
                        .analysis()
                        .orElseThrow();
        assertEquals(Fleet.Analysis.DEFAULTS, a);
        assertEquals(Duration.ofSeconds(10), a.interval());
        assertEquals(50, a.minRequests());
        assertEquals(0.01, a.maxErrorRate());
        assertEquals("100ms", a.maxLatencyIncrease().toString());
        assertEquals(2, a.failureLimit());
    }

    @Test
    void analysisReadsPercentagesAndDurations() throws IOException {
        Fleet.Analysis a =
                FleetLoader.load(
                                write(
                                        withAnalysis(
                                                "{interval: 5s, minRequests: 20, maxErrorRate: 0.5%,"
                                                        + " maxLatencyIncrease: 25%, failureLimit: 3}")))
                        .app("example")
                        .orElseThrow()
                        .analysis()
                        .orElseThrow();
        assertEquals(Duration.ofSeconds(5), a.interval());
        assertEquals(20, a.minRequests());
        assertEquals(0.005, a.maxErrorRate(), 1e-12);
        assertEquals(Fleet.LatencyIncrease.share(0.25), a.maxLatencyIncrease());
        assertEquals(50.0, a.maxLatencyIncrease().allowedMillis(200), 1e-9);
        assertEquals("25%", a.maxLatencyIncrease().toString());
        assertEquals(3, a.failureLimit());

        Fleet.Analysis b =
                FleetLoader.load(write(withAnalysis("{maxLatencyIncrease: 1s}")))
                        .app("example")
                        .orElseThrow()
                        .analysis()
                        .orElseThrow();
        assertEquals(Fleet.LatencyIncrease.millis(1000), b.maxLatencyIncrease());
        assertEquals(1000.0, b.maxLatencyIncrease().allowedMillis(3), 1e-9);
    }

    @Test
    void badAnalysisValuesAreNamedWithTheirLine() throws IOException {
        String msg =
                problems(
                        withAnalysis(
                                "{interval: 500ms, minRequests: 0, maxErrorRate: 0.01,"
                                        + " maxLatencyIncrease: fast, failureLimit: none,"
                                        + " threshold: 3}"));
        String p = "fleet.yaml:18: apps[0](example).analysis.";
        assertTrue(msg.contains(p + "interval: 500ms is too short"), msg);
        assertTrue(msg.contains(p + "minRequests: 0 is out of range (1..1000000)"), msg);
        assertTrue(
                msg.contains(
                        p + "maxErrorRate: '0.01' is not a percentage from 0% to 100% such as 1%"),
                msg);
        assertTrue(
                msg.contains(p + "maxLatencyIncrease: 'fast' is neither a duration above 0"), msg);
        assertTrue(msg.contains(p + "failureLimit: 'none' is not a whole number"), msg);
        assertTrue(msg.contains(p + "threshold: unknown field"), msg);

        String over = problems(withAnalysis("{maxErrorRate: 150%, maxLatencyIncrease: 0%}"));
        assertTrue(over.contains("analysis.maxErrorRate: '150%' is not a percentage"), over);
        assertTrue(over.contains("analysis.maxLatencyIncrease: '0%' is neither"), over);
    }

    @Test
    void autoPromoteIsTrueFalseOrAnalysis() throws IOException {
        String with = "  deadlines: {drain: 5s}\n";
        Fleet.Rollout off = FleetLoader.load(write(VALID)).rollout();
        assertTrue(!off.autoPromote() && !off.promoteOnAnalysis());
        Fleet.Rollout timer =
                FleetLoader.load(write(VALID.replace(with, with + "  autoPromote: true\n")))
                        .rollout();
        assertTrue(timer.autoPromote() && !timer.promoteOnAnalysis());
        Fleet.Rollout analysed =
                FleetLoader.load(write(VALID.replace(with, with + "  autoPromote: analysis\n")))
                        .rollout();
        assertTrue(!analysed.autoPromote() && analysed.promoteOnAnalysis());
        String msg = problems(VALID.replace(with, with + "  autoPromote: maybe\n"));
        assertTrue(
                msg.contains("rollout.autoPromote: 'maybe' is not true, false or analysis"), msg);
    }

    @Test
    void weightedStepsAreRisingSharesOfTheTraffic() throws IOException {
        Fleet.Analysis a =
                FleetLoader.load(write(withAnalysis("{weights: [5%, 25%]}")))
                        .app("example")
                        .orElseThrow()
                        .analysis()
                        .orElseThrow();
        assertEquals(java.util.List.of(0.05, 0.25), a.weights());
        assertTrue(a.weighted());
        assertEquals(0.25, a.share(2));
        assertTrue(
                !FleetLoader.load(write(withAnalysis("{}")))
                        .app("example")
                        .orElseThrow()
                        .analysis()
                        .orElseThrow()
                        .weighted());
    }

    @Test
    void badWeightsAreNamedWithTheirLineAndWhatIsWanted() throws IOException {
        String p = "fleet.yaml:18: apps[0](example).analysis.weights";
        String msg = problems(withAnalysis("{weights: [25%, 5%, 100%, half, 0.5%]}"));
        assertTrue(
                msg.contains(
                        p
                                + "[1]: 5% is not above the step before (25%): each step gives the"
                                + " canary more of the traffic"),
                msg);
        assertTrue(
                msg.contains(
                        p
                                + "[2]: '100%' is not the canary's share of the traffic, a"
                                + " percentage from 1% to 99% such as 5%"),
                msg);
        assertTrue(msg.contains(p + "[3]: 'half' is not the canary's share"), msg);
        assertTrue(msg.contains(p + "[4]: '0.5%' is not the canary's share"), msg);

        String empty = problems(withAnalysis("{weights: []}"));
        assertTrue(empty.contains(p + ": must list at least one share such as [5%, 25%]"), empty);
        String scalar = problems(withAnalysis("{weights: 5%}"));
        assertTrue(scalar.contains(p + ": must be a list"), scalar);
    }
}
