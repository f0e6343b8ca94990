package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.lb.domain.AdminState;
import dev.canaryrelease.lb.domain.ServerKey;
import dev.canaryrelease.lb.domain.WantedStates;
import dev.canaryrelease.lb.domain.WantedStates.Wanted;

class WantedStatesTest {
    static final ServerKey K = new ServerKey("web", "docker0");

    @Test
    void aReplayedOlderDecisionNeverOverridesANewerOne() {
        WantedStates w = new WantedStates();
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        w.apply(K, new Wanted(AdminState.READY, t.plusSeconds(10), "r2"));
        w.apply(K, new Wanted(AdminState.MAINT, t, "r1"));
        assertEquals(AdminState.READY, w.get(K).orElseThrow().state());
        w.apply(K, new Wanted(AdminState.MAINT, t.plusSeconds(11), "r3"));
        assertEquals("r3", w.get(K).orElseThrow().releaseId());
    }

    @Test
    void adminBitsMapToStates() {
        assertEquals(AdminState.READY, AdminState.ofBits(0));
        assertEquals(AdminState.MAINT, AdminState.ofBits(1));
        assertEquals(AdminState.DRAIN, AdminState.ofBits(8));
        assertEquals(AdminState.MAINT, AdminState.ofBits(0x04));
        assertEquals(AdminState.MAINT, AdminState.ofBits(0x09));
    }
}
