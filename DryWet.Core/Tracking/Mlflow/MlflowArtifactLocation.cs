using DryWet.Core.Storage;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// Reads and writes artifacts wherever the tracking server says they live: <c>mlflow-artifacts:</c> through the
/// server's proxy, <c>s3://bucket/prefix</c> directly in the object store (MLflow's direct S3 mode, MinIO behind it).
/// </summary>
public sealed class MlflowArtifactLocation(MlflowClient client, IObjectStore? objectStore = null)
{
    public async Task UploadAsync(string artifactUri, string relativePath, string localFile, CancellationToken cancellationToken)
    {
        if (MlflowClient.IsProxyUri(artifactUri))
        {
            await client.UploadArtifactAsync(artifactUri, relativePath, localFile, cancellationToken);
            return;
        }

        var (store, bucket, prefix) = S3(artifactUri);
        await store.UploadFileAsync(bucket, Key(prefix, relativePath), localFile, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(string artifactUri, CancellationToken cancellationToken)
    {
        if (MlflowClient.IsProxyUri(artifactUri))
        {
            return (await client.ListArtifactsRecursiveAsync(artifactUri, cancellationToken)).Select(f => f.Path).ToList();
        }

        var (store, bucket, prefix) = S3(artifactUri);
        var keyPrefix = prefix.Length == 0 ? "" : prefix + "/";
        return (await store.ListAsync(bucket, keyPrefix, cancellationToken)).Select(o => o.Key[keyPrefix.Length..]).ToList();
    }

    public async Task DownloadAsync(string artifactUri, string relativePath, string localFile, CancellationToken cancellationToken)
    {
        if (MlflowClient.IsProxyUri(artifactUri))
        {
            await client.DownloadArtifactAsync(artifactUri, relativePath, localFile, cancellationToken);
            return;
        }

        var (store, bucket, prefix) = S3(artifactUri);
        await store.DownloadFileAsync(bucket, Key(prefix, relativePath), localFile, cancellationToken);
    }

    private (IObjectStore Store, string Bucket, string Prefix) S3(string artifactUri)
    {
        if (!artifactUri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw new DryWetException($"Artifact location '{artifactUri}' is not reachable from DryWet: use the MLflow server's artifact proxy (mlflow-artifacts:/, the default) or an s3:// root in MinIO.");
        }

        if (objectStore is null)
        {
            throw new DryWetException($"The MLflow artifact location is '{artifactUri}' (direct S3 mode): set ConnectionStrings:minio so DryWet can write there, or run the MLflow server with --serve-artifacts.");
        }

        var rest = artifactUri[5..];
        var slash = rest.IndexOf('/');
        return slash < 0 ? (objectStore, rest, "") : (objectStore, rest[..slash], rest[(slash + 1)..].Trim('/'));
    }

    private static string Key(string prefix, string relativePath) => prefix.Length == 0 ? relativePath : $"{prefix}/{relativePath}";
}
