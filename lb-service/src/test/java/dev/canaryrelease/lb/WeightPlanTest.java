package dev.canaryrelease.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.canaryrelease.lb.domain.ServedShare;
import dev.canaryrelease.lb.domain.WeightPlan;

/** The weights that give a canary its share, and the share it served, without HAProxy. */
class WeightPlanTest {
    /**
     * Each row: the wanted share, canary servers, other servers, canary and other weight, share.
     */
    @ParameterizedTest(name = "{0} with {1} canary and {2} other servers")
    @CsvSource({
        "0.05, 1, 2, 2, 19, 0.05",
        "0.25, 1, 2, 2, 3, 0.25",
        "0.05, 1, 1, 1, 19, 0.05",
        "0.25, 1, 1, 1, 3, 0.25",
        "0.5, 1, 1, 1, 1, 0.5",
        "0.01, 1, 2, 2, 99, 0.01",
        "0.99, 1, 10, 256, 1, 0.9624",
        "0.10, 2, 3, 1, 6, 0.1",
    })
    void weightsGiveTheNearestShare(
            double share, int canaries, int others, int c, int b, double given) {
        List<String> canary = new java.util.ArrayList<>();
        List<String> all = new java.util.ArrayList<>();
        for (int i = 0; i < canaries; i++) canary.add("c" + i);
        all.addAll(canary);
        for (int i = 0; i < others; i++) all.add("s" + i);

        WeightPlan.Plan p = WeightPlan.plan(share, canary, all);

        for (String s : all) assertEquals(canary.contains(s) ? c : b, p.weights().get(s), s);
        assertEquals(given, p.share(), 1e-4);
        assertEquals(p.share(), WeightPlan.shareOf(p.weights(), canary), 1e-12);
        p.weights().values().forEach(w -> assertTrue(w >= 1 && w <= WeightPlan.MAX_WEIGHT));
    }

    @Test
    void aBackendWithoutTheCanaryOrWithOnlyTheCanaryIsASentence() {
        var none =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> WeightPlan.plan(0.05, List.of("docker9"), List.of("docker0")));
        assertEquals(
                "none of the canary hosts [docker9] is a server of the backend", none.getMessage());
        var alone =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> WeightPlan.plan(0.05, List.of("docker0"), List.of("docker0")));
        assertEquals("the backend has no server besides the canary [docker0]", alone.getMessage());
    }

    @Test
    void theServedShareIsTheCanarysSessionsOverAllAndAReloadIsAProblem() {
        var before =
                List.of(
                        new ServedShare.Reading("a", 10, Map.of("docker0", 100L, "docker1", 900L)),
                        new ServedShare.Reading("b", 20, Map.of("docker0", 5L, "docker1", 5L)));
        var after =
                List.of(
                        new ServedShare.Reading("a", 10, Map.of("docker0", 110L, "docker1", 1090L)),
                        new ServedShare.Reading("b", 20, Map.of("docker0", 5L, "docker1", 5L)));
        ServedShare.Served s = ServedShare.between(before, after, Set.of("docker0"));
        assertEquals(10, s.canary());
        assertEquals(200, s.all());
        assertEquals(0.05, s.share(), 1e-12);
        assertEquals(List.of(), s.problems());

        var reloaded =
                List.of(
                        new ServedShare.Reading("a", 11, Map.of("docker0", 3L, "docker1", 60L)),
                        new ServedShare.Reading("b", 20, Map.of("docker0", 6L, "docker1", 24L)));
        ServedShare.Served r = ServedShare.between(before, reloaded, Set.of("docker0"));
        assertEquals(1, r.canary());
        assertEquals(20, r.all());
        assertEquals(
                List.of(
                        "a: HAProxy was reloaded during the step (pid 10 → 11), its counters"
                                + " started again"),
                r.problems());
        assertEquals(-1, ServedShare.between(before, before, Set.of("docker0")).share());
    }
}
