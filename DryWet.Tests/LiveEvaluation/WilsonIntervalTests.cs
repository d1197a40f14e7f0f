using System.Numerics;
using DryWet.Core.LiveEvaluation;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>The live accuracy's 95 % interval against Newcombe's published table and against its defining equation.</summary>
public sealed class WilsonIntervalTests
{
    /// <summary>Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (Wilson score, no continuity correction).</summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Matches_Newcombes_published_intervals(int successes, int trials, double lower, double upper)
    {
        var interval = WilsonInterval.For(successes, trials);

        Math.Round(interval.Lower, 4).ShouldBe(lower);
        Math.Round(interval.Upper, 4).ShouldBe(upper);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(37, 50)]
    [InlineData(50, 50)]
    [InlineData(2999, 3000)]
    public void Bounds_solve_the_score_equation_exactly(int successes, int trials)
    {
        // A Wilson bound π solves f(π) = (p̂ − π)² − z² π (1 − π) / n = 0; f at π's double value is evaluated in exact
        // rational arithmetic, so only the bound's own rounding is left.
        var interval = WilsonInterval.For(successes, trials);
        foreach (var bound in new[] { interval.Lower, interval.Upper })
        {
            if (bound is 0.0 or 1.0 && (successes == 0 || successes == trials))
            {
                continue; // the trivial bound at 0 of n (n of n) is exact by construction
            }

            // Newton's step |f(π) / f'(π)|: how far the exact root lies from the computed bound.
            var p = (double)successes / trials;
            var z2 = WilsonInterval.Z95 * WilsonInterval.Z95;
            var slope = -2 * (p - bound) - z2 * (1 - 2 * bound) / trials;
            Math.Abs(Residual(successes, trials, bound) / slope).ShouldBeLessThan(1e-12, $"{successes}/{trials}, bound {bound:R}");
        }

        interval.Lower.ShouldBeLessThanOrEqualTo((double)successes / trials);
        interval.Upper.ShouldBeGreaterThanOrEqualTo((double)successes / trials);
    }

    [Fact]
    public void No_trials_is_the_whole_range_and_a_bad_proportion_is_refused()
    {
        WilsonInterval.For(0, 0).ShouldBe(new WilsonInterval(0, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => WilsonInterval.For(5, 4)).Message.ShouldContain("5 successes of 4 trials");
    }

    private static double Residual(int successes, int trials, double bound)
    {
        // (s/n − π)² − z² π (1 − π) / n, with π and z² as exact binary fractions, evaluated exactly.
        var (pi, piScale) = Exact(bound);
        var z = WilsonInterval.Z95;
        var (zz, zzScale) = Exact(z * z);
        // Common denominator: n² · 2^(2·piScale) · 2^zzScale.
        var n = new BigInteger(trials);
        var one = BigInteger.One << piScale;
        var left = BigInteger.Pow(successes * one - n * pi, 2) * (BigInteger.One << zzScale);
        var right = zz * pi * (one - pi) * n;
        var denominator = n * n * (BigInteger.One << (2 * piScale)) * (BigInteger.One << zzScale);
        var difference = left - right;
        return ExactRational.ToDouble(BigInteger.Abs(difference), denominator) * difference.Sign;
    }

    /// <summary>A double as mantissa / 2^scale, exactly.</summary>
    private static (BigInteger Mantissa, int Scale) Exact(double value)
    {
        // Exact for every double above 2^-148: its 53-bit mantissa times 2^200 is an integer.
        const int scale = 200;
        return (new BigInteger(Math.ScaleB(value, scale)), scale);
    }
}
