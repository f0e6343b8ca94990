package dev.canaryrelease.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.testsupport.LoadLoop;

/**
 * Two apps released at the same time ({@code dev/up --apps 2}: the example app and {@code
 * example-2}, each its own repository, container, port and HAProxy backend), each under load at the
 * front end through its own Host header: both releases end PROMOTED with no request dropped, and
 * every host runs both apps' new versions. Leaves the suite with the app count it found.
 */
class MultiAppIT {
    static final Pattern PAGE = Pattern.compile("version=(\\S+) host=(\\S+?)(?: app=(\\S+?))?</p>");
    static int appsBefore;
    static Suite suite;
    static Fleet fleet;

    @BeforeAll
    static void up() {
        appsBefore = Suite.started() ? Suite.get().apps().size() : 1;
        suite = Suite.get(2);
        CanaryReleaseIT.up();
        fleet = CanaryReleaseIT.fleet;
    }

    @AfterAll
    static void down() {
        CanaryReleaseIT.down();
        if (appsBefore != 2) Suite.get(appsBefore);
    }

    /** {@code version app} of the app on port {@code port} of {@code host}, or "down". */
    static String page(Fleet.Host host, int port) {
        try {
            HttpResponse<String> r =
                    CanaryReleaseIT.suite.get("http://" + host.address() + ":" + port + "/", null);
            Matcher m = PAGE.matcher(r.body());
            return r.statusCode() == 200 && m.find()
                    ? m.group(1) + " " + (m.group(3) == null ? "example" : m.group(3))
                    : "HTTP " + r.statusCode();
        } catch (RuntimeException e) {
            return "down";
        }
    }

    /** What each host serves for each app: {@code host/app → version app}. */
    static Map<String, String> pages() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Fleet.App a : fleet.apps()) {
            for (Fleet.Host h : fleet.dockerHosts()) {
                out.put(h.name() + "/" + a.name(), page(h, a.port()));
            }
        }
        return out;
    }

    static String app(String body) {
        Matcher m = PAGE.matcher(body);
        return m.find() ? m.group(1) + " " + (m.group(3) == null ? "example" : m.group(3)) : "?";
    }

    @Test
    void twoAppsReleasedAtOnceBothEndPromotedAndEveryHostRunsBothNewVersions() {
        assertEquals(List.of("example", "example-2"), suite.apps());
        Fleet.App first = fleet.app("example").orElseThrow();
        Fleet.App second = fleet.app("example-2").orElseThrow();
        assertNotEquals(first.backend(), second.backend());
        assertNotEquals(first.port(), second.port());
        Map<String, String> before = pages();
        String url = suite.env("APP_URL") + "/";
        try (LoadLoop a = LoadLoop.paced(url, null, 2, 60, Duration.ofMinutes(5), MultiAppIT::app);
                LoadLoop b =
                        LoadLoop.paced(
                                url, "example-2", 2, 60, Duration.ofMinutes(5), MultiAppIT::app)) {
            // both pushes at once
            CompletableFuture<String> p1 =
                    CompletableFuture.supplyAsync(() -> suite.pushChange("--app", "example"));
            CompletableFuture<String> p2 =
                    CompletableFuture.supplyAsync(() -> suite.pushChange("--app", "example-2"));
            String r1 = p1.join();
            String r2 = p2.join();
            CanaryReleaseIT.awaitState(r1, Set.of("CANARY_LIVE"));
            CanaryReleaseIT.awaitState(r2, Set.of("CANARY_LIVE"));
            CanaryReleaseIT.command(r1, "promote", "e2e: two apps at once");
            CanaryReleaseIT.command(r2, "promote", "e2e: two apps at once");
            CanaryReleaseIT.awaitState(r1, Set.of("PROMOTED"));
            CanaryReleaseIT.awaitState(r2, Set.of("PROMOTED"));

            // every host runs both apps' new versions, each app on its own port
            String canary = CanaryReleaseIT.canary();
            Map<String, String> after = pages();
            String new1 = after.get(canary + "/example");
            String new2 = after.get(canary + "/example-2");
            assertNotEquals(before.get(canary + "/example"), new1, "example moved: " + after);
            assertNotEquals(before.get(canary + "/example-2"), new2, "example-2 moved: " + after);
            assertTrue(new2.endsWith(" example-2"), after.toString());
            Awaitility.await("every host serves " + new1 + " and " + new2)
                    .atMost(Duration.ofSeconds(30))
                    .until(
                            MultiAppIT::pages,
                            p ->
                                    fleet.dockerHosts().stream()
                                            .allMatch(
                                                    h ->
                                                            new1.equals(
                                                                            p.get(
                                                                                    h.name()
                                                                                            + "/example"))
                                                                    && new2.equals(
                                                                            p.get(
                                                                                    h.name()
                                                                                            + "/example-2"))));
            // the front end served each app, by its Host header, its new version too
            Awaitility.await("the front end serves both new versions")
                    .atMost(Duration.ofSeconds(30))
                    .until(
                            () ->
                                    a.bodies().containsKey(new1)
                                            && b.bodies().containsKey(new2)
                                            && !b.bodies().containsKey(new1));
            a.close();
            b.close();
            System.out.println("example load: " + a + " " + a.bodies());
            System.out.println("example-2 load: " + b + " " + b.bodies());
            CanaryReleaseIT.assertNoDrops(a);
            CanaryReleaseIT.assertNoDrops(b);
            assertTrue(
                    b.bodies().keySet().stream().allMatch(k -> k.endsWith(" example-2")),
                    "Host: example-2 reaches only example-2: " + b.bodies());
        }
    }
}
