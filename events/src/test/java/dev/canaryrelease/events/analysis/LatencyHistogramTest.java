package dev.canaryrelease.events.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void countsPercentilesAndSums() {
        LatencyHistogram h = LatencyHistogram.of(5, 1, 1, 2, 3, 4, 5, 5, 9, 10);
        assertEquals(10, h.count());
        assertEquals(
                List.of(
                        new LatencyHistogram.Bucket(1, 2),
                        new LatencyHistogram.Bucket(2, 1),
                        new LatencyHistogram.Bucket(3, 1),
                        new LatencyHistogram.Bucket(4, 1),
                        new LatencyHistogram.Bucket(5, 3),
                        new LatencyHistogram.Bucket(9, 1),
                        new LatencyHistogram.Bucket(10, 1)),
                h.buckets());
        assertEquals(4, h.percentile(0.5));
        assertEquals(10, h.percentile(0.95));
        assertEquals(1, h.percentile(0.01));
        assertEquals(-1, LatencyHistogram.EMPTY.percentile(0.5));
        LatencyHistogram sum = h.plus(LatencyHistogram.of(1, 300));
        assertEquals(12, sum.count());
        assertEquals(new LatencyHistogram.Bucket(1, 3), sum.buckets().get(0));
        assertEquals(300, sum.percentile(1));
    }

    @Test
    void bucketsOutOfOrderOrEmptyAreRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        new LatencyHistogram(
                                List.of(
                                        new LatencyHistogram.Bucket(5, 1),
                                        new LatencyHistogram.Bucket(2, 1))));
        assertThrows(
                IllegalArgumentException.class,
                () -> new LatencyHistogram(List.of(new LatencyHistogram.Bucket(5, 0))));
    }
}
