namespace DryWet.Core.Feedback;

/// <summary>
/// One reviewed image: <c>ml-data/.manifest/&lt;id&gt;.json</c> (one object per entry, so two reviewers never overwrite each
/// other; the dot keeps it out of the trainer's class folders). Written after the image, so an entry means the image is there.
/// </summary>
public sealed record LabelManifestEntry(
    string Id,
    string Label,
    string Predicted,
    bool Corrected,
    string Reviewer,
    DateTimeOffset ReviewedAt,
    string ImageKey,
    string PredictionKey,
    string ModelName,
    string ModelVersion,
    float Confidence,
    string? TraceId);
