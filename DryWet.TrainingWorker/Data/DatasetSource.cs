using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Where a dataset's objects live: a prefix (or one archive) in the object store, or a local folder (or one zip). Keys
/// are relative to the source's root, '/'-separated, so the same objects give the same dataset version anywhere.
/// </summary>
public abstract class DatasetSource
{
    /// <summary>The source as a URI, e.g. <c>s3://ml-data/</c> or <c>file:///data/roads/</c>.</summary>
    public abstract string Uri { get; }

    /// <summary>Every object under the root (recursive), ordered by key; one object for a single archive.</summary>
    public abstract Task<IReadOnlyList<SourceObject>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Copies one object to <paramref name="localPath"/> (atomically: nothing is left there on failure).</summary>
    public abstract Task FetchAsync(string key, string localPath, CancellationToken cancellationToken);

    /// <summary>Stores a manifest next to the data (<c>.datasets/&lt;version&gt;.json</c>); false where the source is read-only (a local folder).</summary>
    public abstract Task<bool> SaveManifestAsync(DatasetManifest manifest, CancellationToken cancellationToken);

    /// <summary>Where <see cref="SaveManifestAsync"/> puts a version's manifest.</summary>
    public virtual string ManifestUri(string version) => Uri + DatasetManifest.KeyFor("", version);

    /// <summary>A stored manifest, or null when this source has none by that version.</summary>
    public abstract Task<DatasetManifest?> LoadManifestAsync(string version, CancellationToken cancellationToken);

    /// <summary>Reads a small object (a label manifest entry) as text; null when it is gone or larger than <paramref name="maxBytes"/>.</summary>
    public async Task<string?> ReadSmallAsync(string key, long size, int maxBytes, CancellationToken cancellationToken)
    {
        if (size > maxBytes)
        {
            return null;
        }

        var local = Path.Combine(Path.GetTempPath(), $"drywet-entry-{Guid.NewGuid():N}.json");
        try
        {
            await FetchAsync(key, local, cancellationToken);
            return new FileInfo(local).Length > maxBytes ? null : await File.ReadAllTextAsync(local, cancellationToken);
        }
        catch (Exception ex) when (ex is ObjectNotFoundException or FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        finally
        {
            File.Delete(local);
        }
    }

    /// <summary>
    /// The source named by <c>train --data</c>: <c>s3://bucket/</c> or <c>s3://bucket/prefix/</c> (a trailing slash or no
    /// key: the whole prefix), <c>s3://bucket/key</c> (one archive), a local folder (its archives and class folders) or a
    /// local zip (one archive).
    /// </summary>
    public static DatasetSource Open(string data, IObjectStore? objects)
    {
        if (ObjectStoreUri.IsObjectStoreUri(data))
        {
            var store = objects ?? throw new InvalidOperationException("An s3:// dataset needs an object store.");
            var (bucket, key) = SplitUri(data);
            return key.Length == 0 || key.EndsWith('/')
                ? new ObjectStoreDatasetSource(store, bucket, key, onlyKey: null)
                : new ObjectStoreDatasetSource(store, bucket, ParentFolder(key), onlyKey: key);
        }

        var path = Path.GetFullPath(data);
        if (File.Exists(path))
        {
            return new LocalDatasetSource(Path.GetDirectoryName(path)!, Path.GetFileName(path));
        }

        if (Directory.Exists(path))
        {
            return new LocalDatasetSource(path, onlyFile: null);
        }

        throw new DryWetException($"Data '{data}' does not exist. Pass a zip, a folder with one subfolder per class (dry/, wet/) and/or zips at its root, or s3://bucket/ for the whole data prefix; `sample-data --output data.zip` writes an example.");
    }

    private static (string Bucket, string Key) SplitUri(string data)
    {
        var rest = data[(data.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        ObjectKeys.ValidateBucket(bucket);
        if (key.Length > 0)
        {
            ObjectKeys.ValidateKey(key.TrimEnd('/'));
        }

        return (bucket, key);
    }

    private static string ParentFolder(string key) => key.LastIndexOf('/') is > 0 and var slash ? key[..(slash + 1)] : "";
}
