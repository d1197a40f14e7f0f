using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace DryWet.Core.Storage;

/// <summary>
/// The platform object store: MinIO (or any S3 server) through the Minio SDK. Each operation is an Activity span on
/// <see cref="ActivitySourceName"/>; the SDK's HTTP calls are traced by HttpClient instrumentation underneath.
/// </summary>
public sealed class MinioObjectStore(IMinioClient client, string endpoint, ILogger<MinioObjectStore> logger) : IObjectStore
{
    public const string ActivitySourceName = "DryWet.ObjectStore";
    private static readonly ActivitySource Source = new(ActivitySourceName);

    public string Description => $"MinIO at {endpoint}";

    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        return Run("bucket_exists", bucket, null, () =>
            client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken));
    }

    public Task EnsureBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        return Run("ensure_bucket", bucket, null, async () =>
        {
            if (!await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken))
            {
                await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket), cancellationToken);
                logger.LogInformation("Created bucket {Bucket} in {Store}", bucket, Description);
            }

            return true;
        });
    }

    public Task UploadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        if (!File.Exists(filePath))
        {
            throw new DryWetException($"Cannot upload '{filePath}': the file does not exist.");
        }

        return Run("put_object", bucket, key, async () =>
        {
            // A PUT into a missing bucket would surface as a generic S3 error; ask first for a clear message.
            await RequireBucket(bucket, cancellationToken);
            await using var stream = File.OpenRead(filePath);
            await client.PutObjectAsync(new PutObjectArgs()
                .WithBucket(bucket)
                .WithObject(key)
                .WithStreamData(stream)
                .WithObjectSize(stream.Length)
                .WithContentType("application/octet-stream"), cancellationToken);
            logger.LogInformation("Uploaded {File} ({Bytes} bytes) to {Bucket}/{Key}", filePath, stream.Length, bucket, key);
            return true;
        });
    }

    public Task UploadAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        return Run("put_object", bucket, key, async () =>
        {
            await RequireBucket(bucket, cancellationToken);
            await using var stream = MemoryMarshal.TryGetArray(content, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(content.ToArray(), writable: false);
            await client.PutObjectAsync(new PutObjectArgs()
                .WithBucket(bucket)
                .WithObject(key)
                .WithStreamData(stream)
                .WithObjectSize(content.Length)
                .WithContentType(contentType), cancellationToken);
            return true;
        });
    }

    public Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        return Run("remove_object", bucket, key, async () =>
        {
            await RequireBucket(bucket, cancellationToken);
            await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            return true;
        });
    }

    public Task DownloadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        return Run("get_object", bucket, key, async () =>
        {
            await RequireBucket(bucket, cancellationToken);
            try
            {
                await client.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            }
            catch (Exception ex) when (IsNotFound(ex))
            {
                throw new ObjectNotFoundException(bucket, key, Description);
            }

            await AtomicFile.WriteAsync(filePath, async (target, ct) =>
            {
                await client.GetObjectAsync(new GetObjectArgs()
                    .WithBucket(bucket)
                    .WithObject(key)
                    .WithCallbackStream(async (source, innerCt) => await source.CopyToAsync(target, innerCt)), ct);
            }, cancellationToken);
            return true;
        });
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string bucket, string prefix = "", CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        return Run<IReadOnlyList<StoredObject>>("list_objects", bucket, prefix, async () =>
        {
            await RequireBucket(bucket, cancellationToken);
            var objects = new List<StoredObject>();
            var args = new ListObjectsArgs().WithBucket(bucket).WithPrefix(prefix).WithRecursive(true);
            await foreach (var item in client.ListObjectsEnumAsync(args, cancellationToken))
            {
                if (!item.IsDir)
                {
                    objects.Add(new StoredObject(item.Key, (long)item.Size,
                        item.LastModifiedDateTime is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue));
                }
            }

            return objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        });
    }

    private async Task RequireBucket(string bucket, CancellationToken cancellationToken)
    {
        if (!await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken))
        {
            throw new BucketNotFoundException(bucket, Description);
        }
    }

    private async Task<T> Run<T>(string operation, string bucket, string? key, Func<Task<T>> action)
    {
        using var activity = Source.StartActivity($"minio {operation}", ActivityKind.Client);
        activity?.SetTag("aws.s3.bucket", bucket);
        activity?.SetTag("aws.s3.key", key);
        activity?.SetTag("server.address", endpoint);
        try
        {
            return await action();
        }
        catch (DryWetException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && IsUnavailable(ex))
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            logger.LogWarning(ex, "Object store {Store} failed during {Operation} on {Bucket}/{Key}", Description, operation, bucket, key);
            throw new ObjectStoreUnavailableException(Description, $"{operation} {bucket}/{key}", ex);
        }
    }

    private static bool IsNotFound(Exception ex) => ex switch
    {
        Minio.Exceptions.ObjectNotFoundException => true,
        ErrorResponseException e => e.Response?.Code is "NoSuchKey" or "NotFound",
        _ => false,
    };

    private static bool IsUnavailable(Exception ex) =>
        ex is ConnectionException or HttpRequestException or SocketException or IOException or MinioException
        || ex.InnerException is { } inner && IsUnavailable(inner);
}
