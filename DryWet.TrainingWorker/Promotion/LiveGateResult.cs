using DryWet.Core.LiveEvaluation;
using DryWet.Core.Registry;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// One pass of the live gate: the live accuracy of every registered version that answered reviewed requests, the
/// verdict on production vs challenger (null without both), and the version it promoted (null unless promoted).
/// </summary>
public sealed record LiveGateResult(IReadOnlyList<LiveAccuracy> Versions, LiveVerdict? Verdict, ModelVersion? Promoted, string Summary);
