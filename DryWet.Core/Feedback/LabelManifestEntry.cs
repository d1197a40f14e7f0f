namespace DryWet.Core.Feedback;

/// <summary>
/// One reviewed image: <c>ml-data/.manifest/&lt;id&gt;.json</c> (one object per entry; the dot keeps it out of the
/// trainer's class folders). Created create-only (the first reviewer wins) before its image is written, and replaced
/// only by compare-and-swap when a reviewer changes the label. <see cref="Label"/>, <see cref="ImageKey"/>,
/// <see cref="Reviewer"/> and <see cref="ReviewedAt"/> describe the current label; <see cref="History"/> lists every
/// label given, oldest first (absent in entries written before labels could change: then the entry is its only label).
/// The image is in place at <see cref="ImageKey"/> once the write that made the entry returned; readers that need it
/// now should treat a missing image as "being written".
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
    string? TraceId,
    IReadOnlyList<LabelChange>? History = null);
