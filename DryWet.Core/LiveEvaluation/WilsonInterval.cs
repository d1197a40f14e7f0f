namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// The Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3): unlike the normal
/// approximation it stays inside [0, 1] and is honest at 0 of n and n of n, which live accuracy on a few dozen
/// reviews often is.
/// </summary>
public readonly record struct WilsonInterval(double Lower, double Upper)
{
    /// <summary>z for a two-sided 95 % interval: the 0.975 quantile of the standard normal.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The interval for <paramref name="successes"/> of <paramref name="trials"/>; [0, 1] when there are no trials.</summary>
    public static WilsonInterval For(long successes, long trials, double z = Z95)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes of {trials} trials is not a proportion.");
        }

        if (trials == 0)
        {
            return new WilsonInterval(0, 1);
        }

        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // At 0 and n the bound is exactly 0 (1); rounding must not put it a hair outside.
        var lower = successes == 0 ? 0 : Math.Max(0, centre - half);
        var upper = successes == trials ? 1 : Math.Min(1, centre + half);
        return new WilsonInterval(lower, upper);
    }
}
