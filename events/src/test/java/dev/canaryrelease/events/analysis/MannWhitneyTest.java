package dev.canaryrelease.events.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

/**
 * The expected values are SciPy 1.17's {@code mannwhitneyu(x, y, alternative='greater',
 * use_continuity=True, method='asymptotic')} on the same samples.
 */
class MannWhitneyTest {
    private static long[] times(long ms, int n) {
        return LongStream.generate(() -> ms).limit(n).toArray();
    }

    private static long[] concat(long[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToLong(LongStream::of).toArray();
    }

    @Test
    void distinctValues() {
        MannWhitney.Result r =
                MannWhitney.greater(
                        LatencyHistogram.of(3, 5, 7, 9, 11), LatencyHistogram.of(1, 2, 4, 6, 8));
        assertEquals(19.0, r.u(), 1e-9);
        assertEquals(0.10503752039332925, r.p(), 1e-6);
    }

    @Test
    void tiesTakeTheirMeanRankAndCorrectTheVariance() {
        MannWhitney.Result r =
                MannWhitney.greater(
                        LatencyHistogram.of(1, 1, 2, 2, 2, 3, 300, 300),
                        LatencyHistogram.of(1, 1, 1, 1, 2, 2, 2, 2, 3));
        assertEquals(48.5, r.u(), 1e-9);
        assertEquals(0.10996400198104739, r.p(), 1e-6);
    }

    @Test
    void aCanary300msSlowerIsFarBeyondChance() {
        MannWhitney.Result r =
                MannWhitney.greater(
                        LatencyHistogram.of(concat(times(301, 30), times(302, 30))),
                        LatencyHistogram.of(concat(times(1, 30), times(2, 30))));
        assertEquals(3600.0, r.u(), 1e-9);
        assertEquals(8.837464373714983e-23, r.p(), 1e-24);
    }

    @Test
    void theSameDistributionIsNoEvidence() {
        long[] s = concat(times(5, 20), times(6, 20), times(7, 20), times(8, 20));
        MannWhitney.Result r = MannWhitney.greater(LatencyHistogram.of(s), LatencyHistogram.of(s));
        assertEquals(3200.0, r.u(), 1e-9);
        assertEquals(0.5007030292956581, r.p(), 1e-6);
    }

    @Test
    void anEmptySideOrAllValuesEqualIsNoEvidence() {
        assertEquals(1.0, MannWhitney.greater(LatencyHistogram.EMPTY, LatencyHistogram.of(1)).p());
        assertEquals(
                1.0,
                MannWhitney.greater(
                                LatencyHistogram.of(times(4, 60)),
                                LatencyHistogram.of(times(4, 60)))
                        .p());
    }

    @Test
    void millionsOfRequestsDoNotOverflow() {
        MannWhitney.Result r =
                MannWhitney.greater(
                        LatencyHistogram.of(java.util.Map.of(2L, 3_000_000L, 3L, 3_000_000L)),
                        LatencyHistogram.of(java.util.Map.of(2L, 3_000_000L, 3L, 3_000_000L)));
        assertEquals(0.5, r.p(), 1e-3);
    }

    @Test
    void theNormalTail() {
        assertEquals(0.5, MannWhitney.upperTail(0), 1e-7);
        assertEquals(0.02275013194817921, MannWhitney.upperTail(2), 1e-7);
        assertEquals(0.9772498680518208, MannWhitney.upperTail(-2), 1e-7);
    }
}
