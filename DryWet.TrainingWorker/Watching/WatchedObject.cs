using System.Globalization;

namespace DryWet.TrainingWorker.Watching;

/// <summary>The data object the watcher follows: <c>s3://bucket/key</c> in the configured object store (MinIO or embedded).</summary>
public sealed record WatchedObject(string Bucket, string Key)
{
    public override string ToString() => $"s3://{Bucket}/{Key}";

    /// <summary>Where the watcher keeps what it last trained on, next to the data (it survives restarts and pods).</summary>
    public string StateKey => $".drywet/watch/{Key}.json";

    public static WatchedObject From(string bucket, string? prefix, string objectName)
    {
        var key = (prefix ?? "").Trim('/') is { Length: > 0 } p ? $"{p}/{objectName.TrimStart('/')}" : objectName.TrimStart('/');
        if (string.IsNullOrWhiteSpace(bucket) || string.IsNullOrWhiteSpace(key) || key.EndsWith('/'))
        {
            throw new DryWet.Core.DryWetException(string.Create(CultureInfo.InvariantCulture,
                $"watch needs a bucket and an object key (got --bucket '{bucket}', --prefix '{prefix}', --object '{objectName}')."));
        }

        return new WatchedObject(bucket, key);
    }
}
