package dev.canaryrelease.events.analysis;

import java.util.List;

import dev.canaryrelease.events.analysis.LatencyHistogram.Bucket;

/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) of two samples given as histograms, one-sided: is
 * {@code x} (the canary) stochastically greater, that is slower, than {@code y} (the baseline)?
 *
 * <p>Ties get the mean of the ranks they span, and the variance is tie-corrected; with millisecond
 * times most values are ties. The p-value is the normal approximation with a continuity correction,
 * which is close for the sizes analysed (at least {@code minRequests} a side, 50 by default), as in
 * Kayenta's judge. Sums are doubles, so a window of millions of requests does not overflow.
 */
public final class MannWhitney {
    private MannWhitney() {}

    /**
     * {@code u} is x's U statistic (how many (x, y) pairs have x above y, a tie counting half),
     * {@code z} its standard score, {@code p} the one-sided p-value of "x is greater" (1 when
     * either side is empty or every value is the same: no evidence).
     */
    public record Result(long n1, long n2, double u, double z, double p) {}

    public static Result greater(LatencyHistogram x, LatencyHistogram y) {
        long n1 = x.count();
        long n2 = y.count();
        if (n1 == 0 || n2 == 0) {
            return new Result(n1, n2, 0, 0, 1);
        }
        List<Bucket> a = x.buckets();
        List<Bucket> b = y.buckets();
        double rankSumX = 0;
        double tieTerm = 0;
        double below = 0; // values ranked so far
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            long v =
                    j >= b.size()
                            ? a.get(i).ms()
                            : i >= a.size()
                                    ? b.get(j).ms()
                                    : Math.min(a.get(i).ms(), b.get(j).ms());
            double cx = 0;
            double cy = 0;
            if (i < a.size() && a.get(i).ms() == v) cx = a.get(i++).count();
            if (j < b.size() && b.get(j).ms() == v) cy = b.get(j++).count();
            double t = cx + cy;
            double meanRank = below + (t + 1) / 2;
            rankSumX += cx * meanRank;
            tieTerm += t * t * t - t;
            below += t;
        }
        double n = n1 + (double) n2;
        double u = rankSumX - n1 * (n1 + 1.0) / 2;
        double mean = n1 * (double) n2 / 2;
        double variance = n1 * (double) n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)));
        if (!(variance > 0)) {
            return new Result(n1, n2, u, 0, 1);
        }
        // one-sided "greater": the continuity correction always moves U half a step down (as SciPy)
        double z = (u - mean - 0.5) / Math.sqrt(variance);
        return new Result(n1, n2, u, z, upperTail(z));
    }

    /** P(Z ≥ z) for a standard normal Z. */
    static double upperTail(double z) {
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    /**
     * The complementary error function, Numerical Recipes' {@code erfcc} (Chebyshev fit, relative
     * error below 1.2e-7 everywhere): enough for a p-value compared with 0.05.
     */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double poly = 0;
        for (int k = ERFC.length - 1; k >= 0; k--) {
            poly = ERFC[k] + t * poly;
        }
        double r = t * Math.exp(-z * z + poly);
        return x >= 0 ? r : 2 - r;
    }

    private static final double[] ERFC = {
        -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
        0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277
    };
}
