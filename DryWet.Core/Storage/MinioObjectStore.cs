using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Minio;
using Minio.DataModel;
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

    /// <summary>Per bucket: the probe that the server honours conditional writes (<see cref="RequireConditionalWritesAsync"/>).</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task>> _conditionalWritesChecked = new();

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
                        item.LastModifiedDateTime is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue,
                        string.IsNullOrEmpty(item.ETag) ? null : item.ETag.Trim('"')));
                }
            }

            return objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        });
    }

    public Task<VersionedObject> ReadAsync(string bucket, string key, int maxBytes, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        return Run("get_object", bucket, key, async () =>
        {
            await RequireBucket(bucket, cancellationToken);
            // The tag first, then the bytes: the bytes are then never older than the tag, so a replace on this tag succeeds
            // only when nothing changed since, and then the bytes are exactly what was read.
            ObjectStat stat;
            try
            {
                stat = await client.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            }
            catch (Exception ex) when (IsNotFound(ex))
            {
                throw new ObjectNotFoundException(bucket, key, Description);
            }

            if (stat.Size > maxBytes)
            {
                throw new DryWetException($"Object '{key}' in bucket '{bucket}' is {stat.Size} bytes, over the {maxBytes} bytes expected of it.");
            }

            using var buffer = new MemoryStream();
            try
            {
                await client.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject(key)
                    .WithCallbackStream(async (source, ct) => await CopyAtMostAsync(source, buffer, maxBytes, key, ct)), cancellationToken);
            }
            catch (Exception ex) when (IsNotFound(ex))
            {
                throw new ObjectNotFoundException(bucket, key, Description);
            }

            return new VersionedObject(buffer.ToArray(), stat.ETag.Trim('"'));
        });
    }

    public Task<bool> TryCreateAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
        ConditionalPutAsync(bucket, key, content, contentType, "If-None-Match", "*", cancellationToken);

    public Task<bool> TryReplaceAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string expectedETag,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(expectedETag) || expectedETag.Contains('"', StringComparison.Ordinal) || expectedETag == "*")
        {
            throw new DryWetException($"'{expectedETag}' is not an object's version tag: pass the ETag that ReadAsync returned.");
        }

        return ConditionalPutAsync(bucket, key, content, contentType, "If-Match", $"\"{expectedETag}\"", cancellationToken);
    }

    /// <summary>
    /// A PUT with a precondition: true when stored, false on 412 Precondition Failed. S3 answers 409
    /// ConditionalRequestConflict to a write racing another one on the key: tried again, a few times.
    /// </summary>
    private Task<bool> ConditionalPutAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string header, string value,
        CancellationToken cancellationToken)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        return Run("put_object_conditional", bucket, key, async () =>
        {
            await RequireConditionalWritesAsync(bucket, cancellationToken);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await PutWithConditionAsync(bucket, key, content, contentType, header, value, cancellationToken);
                }
                catch (Exception ex) when (attempt < 4 && ErrorCode(ex) == "ConditionalRequestConflict")
                {
                    await Task.Delay(Random.Shared.Next(20, 100) * attempt, cancellationToken);
                }
            }
        });
    }

    private async Task<bool> PutWithConditionAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string header, string value,
        CancellationToken cancellationToken)
    {
        using var condition = S3ConditionalWrites.Begin(header, value);
        await RequireBucket(bucket, cancellationToken);
        if (!condition.Seen)
        {
            throw new DryWetException($"{Description}: a conditional write needs {nameof(S3ConditionalWrites)} in the MinIO HttpClient's handlers (AddMinioClient adds it); refusing to write '{key}' unconditionally.");
        }

        await using var stream = new MemoryStream(content.ToArray(), writable: false);
        try
        {
            await client.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject(key).WithStreamData(stream)
                .WithObjectSize(content.Length).WithContentType(contentType), cancellationToken);
        }
        catch (Exception ex) when (ErrorCode(ex) is "PreconditionFailed" or "NoSuchKey")
        {
            // NoSuchKey: an If-Match on an object that is gone (S3 answers 404 there).
            return false;
        }
        catch (Exception ex) when (header == "If-Match" && ex is not (OperationCanceledException or DryWetException))
        {
            // The SDK 7.0.0 fails while parsing S3's 404 NoSuchKey answer to a PUT (ArgumentNullException): ask whether the object is gone.
            if (!await ExistsAsync(bucket, key, cancellationToken))
            {
                return false;
            }

            throw;
        }

        return condition.Applied
            ? true
            : throw new DryWetException($"{Description}: the {header} header was not sent with the write of '{key}'.");
    }

    /// <summary>
    /// Once per bucket and process: proves the server honours conditional writes (MinIO does, as S3 does since 2024;
    /// an older or partial S3 server may ignore the headers and overwrite). Fails closed with a clear message when not.
    /// </summary>
    private Task RequireConditionalWritesAsync(string bucket, CancellationToken cancellationToken)
    {
        var check = _conditionalWritesChecked.GetOrAdd(bucket, b => new Lazy<Task>(() => ProbeConditionalWritesAsync(b)));
        if (check.Value.IsFaulted || check.Value.IsCanceled)
        {
            _conditionalWritesChecked.TryRemove(new KeyValuePair<string, Lazy<Task>>(bucket, check));
        }

        return check.Value.WaitAsync(cancellationToken);
    }

    private async Task ProbeConditionalWritesAsync(string bucket)
    {
        var key = $".drywet/conditional-write-probe/{Guid.NewGuid():N}";
        var probe = "probe"u8.ToArray();
        try
        {
            var created = await PutWithConditionAsync(bucket, key, probe, "text/plain", "If-None-Match", "*", CancellationToken.None);
            var createdAgain = await PutWithConditionAsync(bucket, key, probe, "text/plain", "If-None-Match", "*", CancellationToken.None);
            var replacedOnWrongTag = await PutWithConditionAsync(bucket, key, probe, "text/plain", "If-Match", "\"00000000000000000000000000000000\"", CancellationToken.None);
            if (!created || createdAgain || replacedOnWrongTag)
            {
                throw new DryWetException($"{Description} ignores S3 conditional writes (PUT with If-None-Match: * or If-Match), so DryWet cannot write labels safely there. Use a MinIO release from late 2024 on (the platform's image is one) or another S3 server that answers 412 Precondition Failed to them.");
            }

            logger.LogInformation("{Store} honours conditional writes in bucket {Bucket}", Description, bucket);
        }
        finally
        {
            try
            {
                await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(key), CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Could not remove the conditional-write probe {Bucket}/{Key}: {Reason}", bucket, key, ex.Message);
            }
        }
    }

    private async Task<bool> ExistsAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.StatObjectAsync(new StatObjectArgs().WithBucket(bucket).WithObject(key), cancellationToken);
            return true;
        }
        catch (Exception ex) when (IsNotFound(ex))
        {
            return false;
        }
    }

    private static async Task CopyAtMostAsync(Stream source, Stream target, int maxBytes, string key, CancellationToken cancellationToken)
    {
        var chunk = new byte[8192];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (target.Length + read > maxBytes)
            {
                throw new DryWetException($"Object '{key}' grew over the {maxBytes} bytes expected of it while it was read.");
            }

            await target.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }
    }

    private static string? ErrorCode(Exception ex) => ex switch
    {
        PreconditionFailedException => "PreconditionFailed",
        ErrorResponseException e => e.Response?.Code,
        _ => ex.InnerException is { } inner ? ErrorCode(inner) : null,
    };

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
