namespace DryWet.Core.LiveEvaluation;

/// <summary>What the live gate concluded for a champion and its shadow; <see cref="LiveVerdict.OutcomeName"/> is the tag value.</summary>
public enum LiveVerdictKind
{
    /// <summary>The shadow beat the champion on the same reviewed requests with p below <c>evaluation.live_alpha</c>: promote it.</summary>
    PromotedLive,

    /// <summary>The shadow is ahead on the paired reviews but not (yet) with confidence, or with too few reviews: reported, not promoted.</summary>
    ChampionBehindLive,

    /// <summary>The champion is as good as or better than the shadow on the paired reviews.</summary>
    ChampionHoldsLive,

    /// <summary>No reviewed request was answered by both yet.</summary>
    NoPairedReviews,
}
