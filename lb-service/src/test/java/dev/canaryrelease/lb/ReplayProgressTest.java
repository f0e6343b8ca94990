package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.lb.domain.ReplayProgress;

class ReplayProgressTest {
    @Test
    void notDoneBeforeTheFirstAssignmentEvenWithNothingRead() {
        ReplayProgress p = new ReplayProgress();
        assertFalse(p.done());
        assertEquals(Map.of("partitions", "not assigned yet (broker unreachable?)"), p.lag());
    }

    @Test
    void doneWhenEveryPartitionReachedItsEndAtStart() {
        ReplayProgress p = new ReplayProgress();
        p.assigned(
                Map.of("lb.events-0", 0L, "deploy.events-0", 0L),
                Map.of("lb.events-0", 3L, "deploy.events-0", 1L));
        p.read("lb.events", 0, 0);
        p.read("lb.events", 0, 2);
        assertFalse(p.done());
        assertEquals(Map.of("deploy.events-0", "0/1"), p.lag());
        p.read("deploy.events", 0, 0);
        assertTrue(p.done());
        assertEquals(Map.of(), p.lag());
    }

    @Test
    void emptyAndRetentionEmptiedPartitionsAreDoneAtOnce() {
        ReplayProgress p = new ReplayProgress();
        // lb.events empty; deploy.events had 40 records, all deleted by retention
        p.assigned(
                Map.of("lb.events-0", 0L, "deploy.events-0", 40L),
                Map.of("lb.events-0", 0L, "deploy.events-0", 40L));
        assertTrue(p.done());
    }

    @Test
    void aLaterAssignmentKeepsTheEndsAtStartAndDoneLatches() {
        ReplayProgress p = new ReplayProgress();
        p.assigned(Map.of("lb.events-0", 0L), Map.of("lb.events-0", 2L));
        p.assigned(Map.of("lb.events-0", 0L), Map.of("lb.events-0", 9L));
        p.read("lb.events", 0, 1);
        assertTrue(p.done());
        p.assigned(Map.of("lb.events-1", 0L), Map.of("lb.events-1", 5L));
        assertTrue(p.done());
    }
}
