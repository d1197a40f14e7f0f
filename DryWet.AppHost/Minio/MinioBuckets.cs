using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using Microsoft.Extensions.Logging;
using Minio;
using Minio.DataModel.Args;

namespace DryWet.AppHost.Minio;

/// <summary>Bucket creation and uploads through the MinIO SDK (any S3 server).</summary>
public static class MinioBuckets
{
    public static IMinioClient CreateClient(MinioConnection connection) => new MinioClient()
        .WithEndpoint(connection.Endpoint.Host, connection.Endpoint.Port)
        .WithSSL(connection.Endpoint.Scheme == Uri.UriSchemeHttps)
        .WithCredentials(connection.AccessKey, connection.SecretKey)
        .Build();

    /// <summary>Creates every missing bucket; existing ones are left alone, so this is safe on every start.</summary>
    public static async Task EnsureAsync(MinioConnection connection, IEnumerable<string> buckets, ILogger logger, CancellationToken ct)
    {
        using var client = CreateClient(connection);
        foreach (var bucket in buckets)
        {
            if (await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), ct).ConfigureAwait(false))
            {
                logger.LogInformation("Bucket {Bucket} already exists", bucket);
                continue;
            }

            await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket), ct).ConfigureAwait(false);
            logger.LogInformation("Created bucket {Bucket}", bucket);
        }
    }

    /// <summary>Uploads a local file as <paramref name="bucket"/>/<paramref name="key"/>.</summary>
    public static async Task UploadAsync(MinioConnection connection, string bucket, string key, string file, CancellationToken ct,
        string contentType = "application/zip")
    {
        using var client = CreateClient(connection);
        await client.PutObjectAsync(new PutObjectArgs()
            .WithBucket(bucket)
            .WithObject(key)
            .WithFileName(file)
            .WithContentType(contentType), ct).ConfigureAwait(false);
    }
}
