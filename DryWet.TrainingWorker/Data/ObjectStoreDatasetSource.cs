using System.Text;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>A dataset in the object store: everything under <c>bucket/prefix</c>, or the one archive <c>onlyKey</c>.</summary>
public sealed class ObjectStoreDatasetSource(IObjectStore store, string bucket, string prefix, string? onlyKey) : DatasetSource
{
    private readonly string _folder = DatasetManifest.PrefixFolder(prefix);

    public override string Uri => onlyKey is null ? $"s3://{bucket}/{_folder}" : $"s3://{bucket}/{onlyKey}";

    public string Bucket => bucket;

    public override string ManifestUri(string version) => $"s3://{bucket}/{DatasetManifest.KeyFor(_folder, version)}";

    public override async Task<IReadOnlyList<SourceObject>> ListAsync(CancellationToken cancellationToken)
    {
        if (!await store.BucketExistsAsync(bucket, cancellationToken))
        {
            throw new BucketNotFoundException(bucket, store.Description);
        }

        if (onlyKey is not null)
        {
            // One archive needs no listing: fetching it says whether it exists, and its size is what was hashed.
            return [new SourceObject(onlyKey[_folder.Length..], SourceObject.UnknownSize, DateTimeOffset.MinValue)];
        }

        var listed = await store.ListAsync(bucket, _folder, cancellationToken);
        return listed.Where(o => o.Key.StartsWith(_folder, StringComparison.Ordinal) && o.Key.Length > _folder.Length)
            .Select(o => new SourceObject(o.Key[_folder.Length..], o.Size, o.LastModified, o.ETag))
            .ToList();
    }

    public override Task FetchAsync(string key, string localPath, CancellationToken cancellationToken) =>
        store.DownloadFileAsync(bucket, _folder + key, localPath, cancellationToken);

    public override async Task<bool> SaveManifestAsync(DatasetManifest manifest, CancellationToken cancellationToken)
    {
        await store.UploadAsync(bucket, DatasetManifest.KeyFor(_folder, manifest.Version), Encoding.UTF8.GetBytes(manifest.ToJson()),
            "application/json", cancellationToken);
        return true;
    }

    public override async Task<DatasetManifest?> LoadManifestAsync(string version, CancellationToken cancellationToken)
    {
        var key = DatasetManifest.KeyFor(_folder, version);
        var local = Path.Combine(Path.GetTempPath(), $"drywet-manifest-{Guid.NewGuid():N}.json");
        try
        {
            await store.DownloadFileAsync(bucket, key, local, cancellationToken);
            return DatasetManifest.Parse(await File.ReadAllTextAsync(local, cancellationToken), $"s3://{bucket}/{key}");
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        finally
        {
            File.Delete(local);
        }
    }
}
