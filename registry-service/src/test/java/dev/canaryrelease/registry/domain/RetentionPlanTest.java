package dev.canaryrelease.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.registry.domain.RetentionPlan.Tag;

class RetentionPlanTest {
    static Tag tag(String name, String digest, int minute) {
        return new Tag(
                name, digest, Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * minute));
    }

    @Test
    void keepsTheNewestAndDeletesOlderManifestsOldestFirst() {
        List<Tag> tags =
                List.of(
                        tag("t3", "d3", 3),
                        tag("t1", "d1", 1),
                        tag("t4", "d4", 4),
                        tag("t2", "d2", 2));
        RetentionPlan.Plan p = RetentionPlan.plan(tags, 2, Set.of());
        assertEquals(List.of("d1", "d2"), p.delete());
        assertEquals(List.of("t1", "t2"), p.deletedTags());
    }

    @Test
    void neverDeletesARunningOrRollbackDigest() {
        List<Tag> tags =
                List.of(
                        tag("t1", "d1", 1),
                        tag("t2", "d2", 2),
                        tag("t3", "d3", 3),
                        tag("t4", "d4", 4));
        RetentionPlan.Plan p = RetentionPlan.plan(tags, 1, Set.of("d1", "d3"));
        assertEquals(List.of("d2"), p.delete());
        assertEquals(List.of("d1", "d3"), p.protectedKept());
    }

    @Test
    void anOldTagNamingAKeptManifestKeepsIt() {
        List<Tag> tags = List.of(tag("old", "d1", 1), tag("new", "d1", 5), tag("mid", "d2", 3));
        RetentionPlan.Plan p = RetentionPlan.plan(tags, 1, Set.of());
        assertEquals(List.of("d2"), p.delete());
    }

    @Test
    void unknownPushTimesCountAsOldest() {
        List<Tag> tags = List.of(new Tag("x", "dx", null), tag("a", "da", 1));
        assertEquals(List.of("dx"), RetentionPlan.plan(tags, 1, Set.of()).delete());
    }

    @Test
    void fewerTagsThanKeepDeletesNothing() {
        assertEquals(
                List.of(), RetentionPlan.plan(List.of(tag("a", "d", 1)), 10, Set.of()).delete());
        assertEquals(List.of(), RetentionPlan.plan(List.of(), 10, Set.of()).delete());
    }
}
