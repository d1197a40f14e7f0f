using System.Numerics;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>
/// The reference the live statistics are checked against, computed independently of them: binomial tails as exact
/// fractions of big integers (no logarithms, no floating point until the final rounding).
/// </summary>
internal static class ExactRational
{
    /// <summary>P(X ≤ k) for X ~ Binomial(n, 1/2), as Σ C(n, i) over 2^n, rounded once to a double.</summary>
    public static double BinomialHalfLowerTail(int k, int n)
    {
        var sum = BigInteger.Zero;
        var choose = BigInteger.One; // C(n, 0)
        for (var i = 0; i <= k; i++)
        {
            sum += choose;
            choose = choose * (n - i) / (i + 1);
        }

        return ToDouble(sum, BigInteger.One << n);
    }

    /// <summary>Two-sided exact McNemar: min(1, 2 · P(X ≤ min(b, c))) with n = b + c.</summary>
    public static double McNemarPValue(int b, int c)
    {
        var n = b + c;
        if (n == 0)
        {
            return 1;
        }

        var sum = BigInteger.Zero;
        var choose = BigInteger.One;
        for (var i = 0; i <= Math.Min(b, c); i++)
        {
            sum += choose;
            choose = choose * (n - i) / (i + 1);
        }

        var twice = 2 * sum;
        var whole = BigInteger.One << n;
        return twice >= whole ? 1 : ToDouble(twice, whole);
    }

    /// <summary>num / den rounded to a double: 64 significant bits of the quotient, then scaled by a power of two.</summary>
    public static double ToDouble(BigInteger numerator, BigInteger denominator)
    {
        if (numerator.IsZero)
        {
            return 0;
        }

        var shift = 64 + (int)denominator.GetBitLength() - (int)numerator.GetBitLength();
        var quotient = shift >= 0 ? (numerator << shift) / denominator : numerator / (denominator << -shift);
        return Math.ScaleB((double)quotient, -shift);
    }
}
