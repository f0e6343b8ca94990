package dev.canaryrelease.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostDigestsTest {
    @TempDir Path dir;

    @Test
    void tracksRunningAndPreviousDigestsAndSurvivesARestart() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        HostDigests h = new HostDigests(dir.resolve("hosts.json"));
        h.update("example", "docker0", "d2", "d1", t);
        h.update("example", "docker1", "d1", "d0", t);
        assertEquals(Set.of("d0", "d1", "d2"), h.protectedDigests());
        assertEquals(List.of("docker1"), h.hostsRunning("d1"));
        assertEquals(List.of("docker0"), h.hostsWithPrevious("d1"));

        // an older event, redelivered out of order, changes nothing
        assertFalse(h.update("example", "docker0", "d1", "d0", t.minusSeconds(5)));

        HostDigests again = new HostDigests(dir.resolve("hosts.json"));
        assertEquals(Set.of("d0", "d1", "d2"), again.protectedDigests());
        again.update("example", "docker1", "d2", "d1", t.plusSeconds(1));
        assertEquals(Set.of("d1", "d2"), again.protectedDigests());
        assertEquals(List.of("docker0", "docker1"), again.hostsRunning("d2"));
    }
}
