package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ReplayProgressTest {
    @Test
    void readyOnlyWhenEveryPartitionReachedItsEndOffset() {
        ReplayProgress p = new ReplayProgress();
        p.read("gateway.events", 0, 0);
        assertFalse(p.ready(), "end offsets not known yet");
        p.targets(Map.of("gateway.events:0", 3L, "build.events:0", 1L, "dns.events:0", 0L));
        assertFalse(p.ready());
        p.read("gateway.events", 0, 2);
        assertFalse(p.ready());
        p.read("build.events", 0, 0);
        assertTrue(p.ready());
        assertTrue(p.lag().isEmpty());
    }

    @Test
    void emptyTopicsAreReadyAtOnce() {
        ReplayProgress p = new ReplayProgress();
        p.targets(Map.of());
        assertTrue(p.ready());
    }
}
