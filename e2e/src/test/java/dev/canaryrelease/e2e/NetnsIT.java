package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import io.restassured.path.json.JsonPath;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * The test hosts as separate network hosts ({@code dev/up --netns}, issue 19): each engine in a
 * network namespace of its own, on a bridge cfgmgr reaches directly, on the seed's ports (2376, 22,
 * 3000), behind a firewall table inside its namespace; the services reach them by FQDN through the
 * suite's BIND, and the engines' certificates carry those names.
 *
 * <p>What a user sees: a release promotes with no request dropped at the front end; a port outside
 * the firewall table does not answer from cfgmgr although something listens on it; a certificate
 * for another name is refused where the name is checked; the host's own firewall and forwarding are
 * as they were.
 *
 * <p>Runs last ({@code junit-platform.properties}), so nothing after it needs the loopback layout
 * back: it ends with {@code dev/down}, which removes the namespaces, veth pairs and bridge (the
 * suite's own shutdown hook would run it too). Only with {@code CANARY_E2E_KEEP=1}, when another
 * test of this JVM had started the suite, does it put back dev/up's loopback layout, which costs
 * about as long as the switch to netns did.
 */
@Order(Integer.MAX_VALUE)
class NetnsIT {
    static final Duration STEP = Duration.ofMinutes(4);
    static final Pattern PAGE = Pattern.compile("version=(\\S+) host=([^<\\s]+)");
    static final String ZONE = "proserveau.local";

    Suite suite;
    Fleet fleet;

    @Test
    void namespacedHostsReachedByNameBehindTheirFirewall() throws Exception {
        Path root = Path.of(System.getProperty("canary.root", "..")).toAbsolutePath().normalize();
        boolean putBack = Suite.started() && "1".equals(System.getenv("CANARY_E2E_KEEP"));
        String hostFirewall = must(root, Duration.ofSeconds(30), "iptables", "-w", "-S").output();
        String forwarding = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward"));
        long t0 = System.nanoTime();
        try {
            must(root, Duration.ofMinutes(10), "dev/up", "--no-build", "--netns");
            System.out.printf(
                    "netns: dev/up --netns took %d s%n",
                    Duration.ofNanos(System.nanoTime() - t0).toSeconds());
            suite = Suite.attach(root);
            fleet = FleetLoader.load(Path.of(suite.env("CANARY_FLEET")));
            assertEquals("netns", suite.env("CANARY_LAYOUT"));

            assertEachEngineInItsNamespaceReachedByName(root);
            assertEquals(
                    hostFirewall,
                    must(root, Duration.ofSeconds(30), "iptables", "-w", "-S").output(),
                    "the host's own firewall is untouched");
            assertEquals(
                    forwarding,
                    Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")),
                    "the host's forwarding is untouched");
            aPortOutsideTheTableIsDropped(root);
            aCertificateForTheWrongNameIsRefused(root);
            aReleasePromotesWithNoDroppedRequest();
        } finally {
            long r0 = System.nanoTime();
            Suite.Result restore =
                    putBack
                            ? Suite.run(
                                    root,
                                    Duration.ofMinutes(10),
                                    "dev/up",
                                    "--no-build",
                                    "--loopback")
                            : Suite.run(root, Duration.ofMinutes(3), "dev/down");
            System.out.printf(
                    "netns: putting back the %s took %d s%n",
                    putBack ? "loopback layout" : "machine (dev/down)",
                    Duration.ofNanos(System.nanoTime() - r0).toSeconds());
            assertEquals(0, restore.code(), "putting back what ran before:\n" + restore.output());
        }
        for (String e : new String[] {"docker0", "docker1", "docker2"}) {
            assertFalse(
                    Files.exists(Path.of("/run/netns/canary-" + e)),
                    "the namespace canary-" + e + " is removed");
        }
        Suite.Result links = must(root, Duration.ofSeconds(10), "ip", "-br", "link");
        assertFalse(links.output().contains("crnet0"), "the bridge is removed:\n" + links.output());
        assertFalse(
                links.output().contains("crv-"), "the veth pairs are removed:\n" + links.output());
    }

    /**
     * Each dockerd runs in the network namespace named after its engine, on its own address; the
     * fleet names the engines by FQDN, and the suite's BIND gives those names the addresses.
     */
    void assertEachEngineInItsNamespaceReachedByName(Path root) throws IOException {
        String ownNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        for (Fleet.Host h : fleet.dockerHosts()) {
            Path ns = Path.of("/run/netns/canary-" + h.name());
            long inode = (Long) Files.getAttribute(ns, "unix:ino");
            long pid = suite.pid(h.name());
            String net = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")).toString();
            assertEquals("net:[" + inode + "]", net, h.name() + "'s dockerd runs in " + ns);
            assertNotEquals(ownNet, net, h.name() + "'s dockerd is not in cfgmgr's namespace");
            Suite.Result addr =
                    must(
                            root,
                            Duration.ofSeconds(10),
                            "ip",
                            "-n",
                            "canary-" + h.name(),
                            "-br",
                            "addr");
            assertTrue(addr.output().contains(h.address() + "/24"), addr.output());

            String fqdn = h.name() + "." + ZONE;
            Fleet.Docker d = h.docker().orElseThrow();
            if (d.driver() == Fleet.Driver.SSH) {
                assertEquals(fqdn, d.ssh().orElseThrow().host(), h.name() + " over SSH by name");
                assertEquals(22, d.ssh().orElseThrow().port(), "sshd on the seed's port");
            } else {
                assertEquals("tcp://" + fqdn + ":2376", d.endpoint(), h.name() + " by name");
            }
            Suite.Result dig =
                    must(
                            root,
                            Duration.ofSeconds(10),
                            "dig",
                            "+short",
                            "@127.0.0.1",
                            "-p",
                            "5353",
                            fqdn);
            assertEquals(h.address(), dig.output().strip(), "the suite's BIND: " + fqdn);
            Suite.Result fw =
                    must(
                            root,
                            Duration.ofSeconds(10),
                            "ip",
                            "netns",
                            "exec",
                            "canary-" + h.name(),
                            "iptables",
                            "-w",
                            "-S",
                            "INPUT");
            assertTrue(fw.output().contains("-P INPUT DROP"), fw.output());
            assertTrue(fw.output().contains("--dport 2376 -j ACCEPT"), fw.output());
        }
    }

    /**
     * Something listens on docker2's port 8000 (answering inside the namespace), but the port is
     * not in the table: from cfgmgr the connection is dropped.
     */
    void aPortOutsideTheTableIsDropped(Path root) throws Exception {
        Fleet.Host docker2 = fleet.host("docker2").orElseThrow();
        Process listener =
                new ProcessBuilder(
                                "ip",
                                "netns",
                                "exec",
                                "canary-docker2",
                                "socat",
                                "TCP-LISTEN:8000,bind=" + docker2.address() + ",reuseaddr,fork",
                                "SYSTEM:echo hello")
                        .redirectErrorStream(true)
                        .start();
        try {
            Awaitility.await("a listener on docker2:8000 answers inside its namespace")
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200))
                    .until(
                            () ->
                                    Suite.run(
                                                    root,
                                                    Duration.ofSeconds(5),
                                                    false,
                                                    "ip",
                                                    "netns",
                                                    "exec",
                                                    "canary-docker2",
                                                    "socat",
                                                    "-T2",
                                                    "-",
                                                    "TCP:" + docker2.address() + ":8000")
                                            .output()
                                            .contains("hello"));
            try (Socket s = new Socket()) {
                assertThrows(
                        SocketTimeoutException.class,
                        () -> s.connect(new InetSocketAddress(docker2.address(), 8000), 2000),
                        "docker2:8000 from cfgmgr is dropped by the namespace's firewall");
            }
            // the table's own port answers from cfgmgr
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(docker2.address(), 2376), 2000);
            }
        } finally {
            listener.destroy();
        }
    }

    /**
     * docker2's engine shown a client that asks for docker0 by name is refused; asked for by its
     * own name, it answers (curl checks the name as the services' PemSslConfig does, see
     * PemSslConfigTest).
     */
    void aCertificateForTheWrongNameIsRefused(Path root) {
        Fleet.Host docker2 = fleet.host("docker2").orElseThrow();
        Fleet.Tls tls = docker2.docker().orElseThrow().tls().orElseThrow();
        String[] curl = {
            "curl",
            "-sS",
            "--max-time",
            "5",
            "--cacert",
            tls.ca().toString(),
            "--cert",
            tls.cert().toString(),
            "--key",
            tls.key().toString(),
            "--resolve",
            "",
            ""
        };
        curl[curl.length - 2] = "docker0." + ZONE + ":2376:" + docker2.address();
        curl[curl.length - 1] = "https://docker0." + ZONE + ":2376/_ping";
        Suite.Result wrong = Suite.run(root, Duration.ofSeconds(20), curl);
        assertEquals(60, wrong.code(), "curl: the peer's certificate is not for docker0: " + wrong);
        assertTrue(wrong.output().contains("docker0." + ZONE), wrong.output());
        curl[curl.length - 2] = "docker2." + ZONE + ":2376:" + docker2.address();
        curl[curl.length - 1] = "https://docker2." + ZONE + ":2376/_ping";
        Suite.Result right = must(root, Duration.ofSeconds(20), curl);
        assertEquals("OK", right.output().strip());
    }

    /** The canary and the promotion, the front end under load the whole time. */
    void aReleasePromotesWithNoDroppedRequest() throws Exception {
        for (Fleet.Host h : fleet.dockerHosts()) {
            Awaitility.await("host " + h.name() + " serves the app")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> hostVersion(h).isPresent());
        }
        long r0 = System.nanoTime();
        try (LoadLoop load =
                LoadLoop.start(
                        suite.env("APP_URL") + "/", 4, Duration.ofMinutes(20), this::version)) {
            String id = suite.pushChange(false);
            awaitState(id, "CANARY_LIVE");
            command(id, "promote", "e2e: promote on the namespaced hosts");
            awaitState(id, "PROMOTED");
            String next = versions().get(fleet.rollout().canary().get(0));
            Awaitility.await("every host serves " + next)
                    .atMost(STEP)
                    .pollInterval(Duration.ofMillis(250))
                    .until(this::versions, v -> v.values().stream().allMatch(next::equals));
            load.close();
            System.out.printf(
                    "netns: release %s PROMOTED in %d s; load %s%n",
                    id, Duration.ofNanos(System.nanoTime() - r0).toSeconds(), load);
            assertEquals(0, load.bad(), "non-2xx responses at the front end: " + load);
            assertEquals(0, load.errors(), "connection errors at the front end: " + load);
        }
    }

    // ---- as an operator sees it ----------------------------------------------------------------

    static Suite.Result must(Path root, Duration timeout, String... cmd) {
        Suite.Result r = Suite.run(root, timeout, false, cmd);
        assertEquals(0, r.code(), String.join(" ", cmd) + " failed:\n" + r.output());
        return r;
    }

    String version(String body) {
        Matcher m = PAGE.matcher(body);
        return m.find() ? m.group(1) : "unrecognised page";
    }

    Optional<String> hostVersion(Fleet.Host h) {
        String url = "http://" + h.address() + ":" + fleet.apps().get(0).port() + "/";
        try {
            HttpResponse<String> r = suite.get(url, null);
            return r.statusCode() == 200 ? Optional.of(version(r.body())) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    Map<String, String> versions() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Fleet.Host h : fleet.dockerHosts()) m.put(h.name(), hostVersion(h).orElse("down"));
        return m;
    }

    String release(String id) {
        HttpResponse<String> r =
                suite.get(suite.env("GATEWAY_URL") + "/releases/" + id, suite.env("VIEWER_TOKEN"));
        if (r.statusCode() == 404) return "{\"state\":\"NOT_YET_READ\"}";
        assertEquals(200, r.statusCode(), "GET /releases/" + id + ": " + r.body());
        return r.body();
    }

    void awaitState(String id, String wanted) {
        Set<String> terminal = Set.of("PROMOTED", "FAILED", "ROLLED_BACK", "ABORTED", "SUPERSEDED");
        Awaitility.await("release " + id + " reaches " + wanted)
                .atMost(STEP)
                .pollInterval(Duration.ofMillis(250))
                .until(
                        () -> JsonPath.from(release(id)).getString("state"),
                        s -> {
                            if (terminal.contains(s) && !s.equals(wanted)) {
                                fail(
                                        "release "
                                                + id
                                                + " ended "
                                                + s
                                                + " instead of "
                                                + wanted
                                                + ":\n"
                                                + release(id)
                                                + "\n"
                                                + suite.warnings("deploy-service", 15)
                                                + suite.warnings("build-service", 15));
                            }
                            return s.equals(wanted);
                        });
    }

    void command(String id, String verb, String reason) {
        HttpResponse<String> r =
                suite.post(
                        suite.env("GATEWAY_URL") + "/releases/" + id + "/" + verb,
                        suite.env("OPERATOR_TOKEN"),
                        "{\"reason\":\"" + reason + "\"}");
        assertEquals(202, r.statusCode(), verb + " answered: " + r.body());
    }
}
