namespace DryWet.TrainingWorker.Data;

/// <summary>An object a dataset source lists: key relative to the source's root, size, modification time.</summary>
public sealed record SourceObject(string Key, long Size, DateTimeOffset LastModified)
{
    /// <summary>The size of an object named rather than listed (one archive): known once fetched.</summary>
    public const long UnknownSize = -1;
}
