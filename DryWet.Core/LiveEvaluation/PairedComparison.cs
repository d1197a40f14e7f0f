using System.Globalization;

namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// The champion and the shadow on the same reviewed requests (each answered by both): the 2×2 table of right/wrong
/// and McNemar's exact test on its discordant cells.
/// </summary>
public sealed record PairedComparison(string ChampionVersion, string ShadowVersion, long BothRight, long ChampionOnlyRight,
    long ShadowOnlyRight, long BothWrong)
{
    public long Reviews => BothRight + ChampionOnlyRight + ShadowOnlyRight + BothWrong;

    public double ChampionAccuracy => Reviews == 0 ? 0 : (double)(BothRight + ChampionOnlyRight) / Reviews;

    public double ShadowAccuracy => Reviews == 0 ? 0 : (double)(BothRight + ShadowOnlyRight) / Reviews;

    /// <summary>Requests where the two disagreed on right and wrong: the only ones that carry evidence.</summary>
    public long Discordant => ChampionOnlyRight + ShadowOnlyRight;

    /// <summary>Two-sided exact McNemar p-value; 1 without discordant pairs.</summary>
    public double PValue => ExactMcNemar.TwoSidedPValue(ChampionOnlyRight, ShadowOnlyRight);

    public bool ShadowAhead => ShadowOnlyRight > ChampionOnlyRight;

    /// <summary>"shadow v3 0.9400 vs champion v2 0.8200 on the same 50 reviewed requests (shadow alone right 8, champion alone right 2; exact McNemar p = 0.1094)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"shadow v{ShadowVersion} {ShadowAccuracy:F4} vs champion v{ChampionVersion} {ChampionAccuracy:F4} on the same {Reviews} reviewed requests (shadow alone right {ShadowOnlyRight}, champion alone right {ChampionOnlyRight}; exact McNemar p = {PValue:G4})");
}
