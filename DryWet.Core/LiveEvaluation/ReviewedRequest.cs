namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// One logged request that a person reviewed, reduced to what scoring needs: the human label, the champion's answer
/// (the version that served it) and, when the shadow answered it too, the shadow's. Built from a
/// <c>LabelManifestEntry</c> and its <c>PredictionLogRecord</c> by <see cref="LiveReviewReader"/>.
/// </summary>
public sealed record ReviewedRequest(
    string Id,
    string ModelName,
    string Label,
    string ChampionVersion,
    string ChampionPrediction,
    string? ShadowVersion,
    string? ShadowPrediction)
{
    public bool ChampionRight => ChampionPrediction == Label;

    public bool HasShadow => ShadowVersion is not null && ShadowPrediction is not null;

    public bool ShadowRight => HasShadow && ShadowPrediction == Label;
}
