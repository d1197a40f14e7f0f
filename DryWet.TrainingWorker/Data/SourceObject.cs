namespace DryWet.TrainingWorker.Data;

/// <summary>An object a dataset source lists: key relative to the source's root, size, modification time.</summary>
public sealed record SourceObject(string Key, long Size, DateTimeOffset LastModified);
