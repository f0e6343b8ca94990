package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.events.EventEnvelope;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.events.model.BuildSucceeded;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.CanaryLive;
import dev.canaryrelease.events.model.HostDrained;
import dev.canaryrelease.events.model.HostEnabled;
import dev.canaryrelease.events.model.HostUpdateRequested;
import dev.canaryrelease.events.model.HostUpdated;
import dev.canaryrelease.events.model.ImagePushed;
import dev.canaryrelease.events.model.ReleasePhaseChanged;
import dev.canaryrelease.events.model.Stage;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.fleet.FleetLoader;
import dev.canaryrelease.testsupport.TestFleet;

/**
 * The gateway's timeline of a release written with producers' clocks skewed by ±5 s and read back
 * topic after topic, as a replay reads them: its events keep their causal order and its state is
 * the live one.
 */
class ReleaseStoreOrderTest {
    static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    static final String D = "sha256:" + "2".repeat(64);

    static EventEnvelope<CanaryEvent> e(
            String id, String cause, String service, long atMs, CanaryEvent data) {
        return new EventEnvelope<>(
                id,
                EventType.of(data),
                EventEnvelope.sourceOf(service),
                data.releaseId(),
                T0.plusMillis(atMs),
                cause,
                data);
    }

    @Test
    void aSkewedHistoryReadTopicByTopicKeepsItsCausalOrder() {
        // gateway -5 s, build +5 s, registry 0, deploy +5 s, lb -5 s
        var br =
                e(
                        "br",
                        null,
                        "gateway",
                        -5000,
                        new BuildRequested(
                                "r",
                                "example",
                                "proserveau/example-app",
                                "u",
                                "refs/heads/main",
                                "c",
                                "p",
                                "d"));
        var bs =
                e(
                        "bs",
                        "br",
                        "build-service",
                        6000,
                        new BuildSucceeded("r", "example", "img", "t", D, 900, null));
        var ip =
                e(
                        "ip",
                        "bs",
                        "registry-service",
                        2000,
                        new ImagePushed("r", "example", "img", "t", D, "build-service"));
        var hur =
                e(
                        "hur",
                        "ip",
                        "deploy-service",
                        7100,
                        new HostUpdateRequested("r", "example", "docker0", Stage.CANARY, D));
        var hd =
                e(
                        "hd",
                        "hur",
                        "lb-service",
                        -2800,
                        new HostDrained("r", "example", "docker0", Stage.CANARY, 0, 5, false));
        var hu =
                e(
                        "hu",
                        "hd",
                        "deploy-service",
                        8000,
                        new HostUpdated("r", "example", "docker0", Stage.CANARY, D, null));
        var he =
                e(
                        "he",
                        "hu",
                        "lb-service",
                        -1500,
                        new HostEnabled("r", "example", "docker0", Stage.CANARY));
        var cl =
                e(
                        "cl",
                        "he",
                        "deploy-service",
                        8600,
                        new CanaryLive("r", "example", List.of("docker0"), D));
        // deploy-service's announcements, each after what it reacted to
        var pu =
                e(
                        "pu",
                        "ip",
                        "deploy-service",
                        7101,
                        new ReleasePhaseChanged(
                                "r", "example", Phase.CANARY_UPDATING, Phase.PENDING));
        var pl =
                e(
                        "pl",
                        "he",
                        "deploy-service",
                        8601,
                        new ReleasePhaseChanged(
                                "r", "example", Phase.CANARY_LIVE, Phase.CANARY_UPDATING));
        ReleaseStore store = new ReleaseStore(FleetLoader.load(TestFleet.write("")));
        // a replay reads lb.events, then deploy.events, then the others
        store.apply(hd, "lb.events:0:0");
        store.apply(he, "lb.events:0:1");
        store.apply(hur, "deploy.events:0:0");
        store.apply(pu, "deploy.events:0:1");
        store.apply(hu, "deploy.events:0:2");
        store.apply(cl, "deploy.events:0:3");
        store.apply(pl, "deploy.events:0:4");
        store.apply(ip, "registry.events:0:0");
        store.apply(bs, "build.events:0:0");
        store.apply(br, "gateway.events:0:0");
        Views.ReleaseDetail r = store.detail("r").orElseThrow();
        assertEquals(
                List.of("br", "bs", "ip", "hur", "hd", "hu", "he", "cl"),
                r.timeline().stream()
                        .map(Views.TimelineEntry::id)
                        .filter(id -> !id.startsWith("p"))
                        .toList());
        List<String> all = r.timeline().stream().map(Views.TimelineEntry::id).toList();
        assertTrue(all.indexOf("pu") > all.indexOf("hur"), all.toString());
        assertEquals("pl", all.get(all.size() - 1), "the last announcement ends the timeline");
        // the state is deploy-service's last announcement in that order, not the last one read
        assertEquals(Phase.CANARY_LIVE, r.state());
    }
}
