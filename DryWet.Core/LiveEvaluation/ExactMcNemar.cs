namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// McNemar's exact (conditional) test for paired answers: of the requests where exactly one of two models was right,
/// the count for one model is Binomial(n = discordant pairs, 1/2) when both are equally accurate. The two-sided
/// p-value is twice the smaller tail, at most 1. Computed in log space, so it is exact to double precision for
/// discordant counts in the millions (a plain product of 2^-n underflows past n = 1074).
/// </summary>
public static class ExactMcNemar
{
    /// <summary>Two-sided p-value for <paramref name="firstOnly"/> pairs only the first model got right and <paramref name="secondOnly"/> only the second.</summary>
    public static double TwoSidedPValue(long firstOnly, long secondOnly)
    {
        if (firstOnly < 0 || secondOnly < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(firstOnly), $"Discordant counts must not be negative ({firstOnly}, {secondOnly}).");
        }

        var n = firstOnly + secondOnly;
        return n == 0 ? 1 : Math.Min(1, 2 * BinomialHalfLowerTail(Math.Min(firstOnly, secondOnly), n));
    }

    /// <summary>P(X ≤ <paramref name="k"/>) for X ~ Binomial(<paramref name="n"/>, 1/2).</summary>
    public static double BinomialHalfLowerTail(long k, long n)
    {
        if (n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"Binomial tail needs 0 ≤ k and 0 ≤ n (k = {k}, n = {n}).");
        }

        if (k >= n)
        {
            return 1;
        }

        if (2 * k >= n)
        {
            // The upper part is the smaller sum: P(X ≤ k) = 1 − P(X ≤ n − k − 1) by symmetry.
            return 1 - BinomialHalfLowerTail(n - k - 1, n);
        }

        // Sum the terms relative to the largest one, C(n, k): walking down, C(n, i−1) = C(n, i) · i / (n − i + 1), so
        // every ratio is below 1 and the sum never overflows; then scale by C(n, k) / 2^n in log space.
        double relative = 1, term = 1;
        for (var i = k; i > 0 && term > 1e-18 * relative; i--)
        {
            term *= (double)i / (n - i + 1);
            relative += term;
        }

        return Math.Exp(LogChoose(n, k) - n * Math.Log(2) + Math.Log(relative));
    }

    /// <summary>ln C(n, k) as a sum of logarithms of ratios (no factorials, no overflow).</summary>
    private static double LogChoose(long n, long k)
    {
        k = Math.Min(k, n - k);
        var sum = 0.0;
        for (long i = 1; i <= k; i++)
        {
            sum += Math.Log((double)(n - k + i) / i);
        }

        return sum;
    }
}
