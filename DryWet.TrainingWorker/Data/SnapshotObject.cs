namespace DryWet.TrainingWorker.Data;

/// <summary>
/// One object of a dataset snapshot: its key relative to the data prefix, size and SHA-256, the class (null for an
/// archive, whose class folders label its images) and origin; a reviewed image also names its reviewer and the logged
/// prediction it came from (from <c>.manifest/&lt;id&gt;.json</c>; null when the image was put in the folder by hand).
/// </summary>
public sealed record SnapshotObject(string Key, long Size, string Sha256, string? Class, string Origin,
    string? Reviewer = null, string? PredictionId = null, string? PredictionKey = null, DateTimeOffset? ReviewedAt = null);
