using System.Globalization;

namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// One version's accuracy on the reviewed requests it answered (as the serving champion or as the shadow), with the
/// 95 % Wilson interval.
/// </summary>
public sealed record LiveAccuracy(string Version, long Correct, long Reviewed)
{
    public double Accuracy => Reviewed == 0 ? 0 : (double)Correct / Reviewed;

    public WilsonInterval Interval => WilsonInterval.For(Correct, Reviewed);

    /// <summary>"0.9123 on 57 reviewed requests (95 % CI 0.8123–0.9612)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Accuracy:F4} on {Reviewed} reviewed requests (95 % CI {Interval.Lower:F4}–{Interval.Upper:F4})");
}
