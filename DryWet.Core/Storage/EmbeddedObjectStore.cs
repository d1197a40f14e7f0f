using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DryWet.Core.Storage;

/// <summary>
/// The laptop object store: buckets are folders under <c>&lt;DryWet:Home&gt;/objects</c>, keys are relative paths.
/// Writes go through a temp file + rename, so a reader (or a crash) never sees half an object. Conditional writes
/// (create-only, compare-and-swap) check and rename under a per-bucket <see cref="FileLock"/> in
/// <c>&lt;root&gt;/.locks/</c>, so they are atomic between threads and between processes on the machine. Every write
/// lists a later modification time than the version it replaced (<see cref="AtomicFile"/>), so (size, time) tells
/// versions apart, as a listing's ETag does on S3.
/// </summary>
public sealed partial class EmbeddedObjectStore : IObjectStore
{
    private readonly string _root;

    public EmbeddedObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Description => $"embedded at {_root}";

    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        return Task.FromResult(Directory.Exists(BucketPath(bucket)));
    }

    public Task EnsureBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        Directory.CreateDirectory(BucketPath(bucket));
        return Task.CompletedTask;
    }

    public async Task UploadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default)
    {
        var target = ObjectPath(bucket, key);
        if (!File.Exists(filePath))
        {
            throw new DryWetException($"Cannot upload '{filePath}': the file does not exist.");
        }

        await WriteObjectAsync(target, async (stream, ct) =>
        {
            await using var input = new FileStream(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await input.CopyToAsync(stream, ct);
        }, cancellationToken);
    }

    public async Task UploadAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        var target = ObjectPath(bucket, key);
        await WriteObjectAsync(target, async (stream, ct) => await stream.WriteAsync(content, ct), cancellationToken);
    }

    public Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken = default)
    {
        var path = ObjectPath(bucket, key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Its folder is gone, so is the object: deleting nothing succeeds, as on S3.
            return Task.CompletedTask;
        }

        RemoveEmptyFolders(Path.GetDirectoryName(path)!, BucketPath(bucket));
        return Task.CompletedTask;
    }

    public async Task DownloadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default)
    {
        var source = ObjectPath(bucket, key);
        if (!File.Exists(source))
        {
            throw new ObjectNotFoundException(bucket, key, Description);
        }

        await AtomicFile.CopyAsync(source, filePath, cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> ListAsync(string bucket, string prefix = "", CancellationToken cancellationToken = default)
    {
        ObjectKeys.ValidateBucket(bucket);
        var bucketPath = BucketPath(bucket);
        if (!Directory.Exists(bucketPath))
        {
            throw new BucketNotFoundException(bucket, Description);
        }

        // Only the folder the prefix names is walked (a listing of .manifest/ does not visit every training image), and
        // each file is looked at once: its size and time come from the enumeration's own stat.
        var folder = PrefixFolder(bucketPath, prefix);
        var objects = new List<StoredObject>();
        if (Directory.Exists(folder))
        {
            var files = new FileSystemEnumerable<StoredObject>(folder,
                (ref FileSystemEntry entry) => new StoredObject(KeyOf(bucketPath, entry.Directory, entry.FileName), entry.Length, entry.LastWriteTimeUtc),
                new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && !TempFilePattern().IsMatch(entry.FileName),
            };
            objects.AddRange(files.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)));
        }

        objects.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return Task.FromResult<IReadOnlyList<StoredObject>>(objects);
    }

    /// <summary>The key of a file found under the bucket's folder: its path below the bucket, '/'-separated.</summary>
    private static string KeyOf(string bucketPath, ReadOnlySpan<char> directory, ReadOnlySpan<char> fileName)
    {
        if (directory.Length <= bucketPath.Length)
        {
            return fileName.ToString();
        }

        var key = string.Concat(directory[(bucketPath.Length + 1)..], "/", fileName);
        return Path.DirectorySeparatorChar == '/' ? key : key.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>The deepest folder that holds every key starting with <paramref name="prefix"/>; the bucket for a prefix that is not a plain path.</summary>
    private static string PrefixFolder(string bucketPath, string prefix)
    {
        var slash = prefix.LastIndexOf('/');
        if (slash <= 0)
        {
            return bucketPath;
        }

        var folder = prefix[..slash];
        if (folder.StartsWith('/') || folder.Contains('\\') || folder.Contains('\0') || folder.Split('/').Any(s => s is "" or "." or ".."))
        {
            return bucketPath;
        }

        return Path.Combine(bucketPath, folder.Replace('/', Path.DirectorySeparatorChar));
    }

    public async Task<VersionedObject> ReadAsync(string bucket, string key, int maxBytes, CancellationToken cancellationToken = default)
    {
        var path = ObjectPath(bucket, key);
        try
        {
            // Objects are replaced by rename: this handle reads one whole version, whatever happens meanwhile.
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            if (stream.Length > maxBytes)
            {
                throw new DryWetException($"Object '{key}' in bucket '{bucket}' is {stream.Length} bytes, over the {maxBytes} bytes expected of it.");
            }

            var content = new byte[stream.Length];
            await stream.ReadExactlyAsync(content, cancellationToken);
            return new VersionedObject(content, ETagOf(content));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(bucket, key, Description);
        }
    }

    public async Task<bool> TryCreateAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        var target = ObjectPath(bucket, key);
        using var _ = await LockAsync(bucket, cancellationToken);
        if (File.Exists(target))
        {
            return false;
        }

        await WriteObjectAsync(target, async (stream, ct) => await stream.WriteAsync(content, ct), cancellationToken);
        return true;
    }

    public async Task<bool> TryReplaceAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string expectedETag,
        CancellationToken cancellationToken = default)
    {
        var target = ObjectPath(bucket, key);
        using var _ = await LockAsync(bucket, cancellationToken);
        byte[] current;
        try
        {
            current = await File.ReadAllBytesAsync(target, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        if (ETagOf(current) != expectedETag)
        {
            return false;
        }

        await WriteObjectAsync(target, async (stream, ct) => await stream.WriteAsync(content, ct), cancellationToken);
        return true;
    }

    /// <summary>One new version of an object: whole or not at all, listed later than the version it replaces.</summary>
    private static Task WriteObjectAsync(string target, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(target, write, laterThanReplaced: true, cancellationToken);

    /// <summary>The embedded version tag: the content's SHA-256 (hex, first 32 characters).</summary>
    private static string ETagOf(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content))[..32];

    /// <summary>The bucket's lock for conditional writes; outside every bucket, so listings never show it.</summary>
    private Task<FileLock> LockAsync(string bucket, CancellationToken cancellationToken) =>
        FileLock.AcquireAsync(Path.Combine(_root, ".locks", bucket + ".lock"), cancellationToken: cancellationToken);

    private string BucketPath(string bucket) => Path.Combine(_root, bucket);

    /// <summary>
    /// An S3 store has no folders: once its last object is gone, a "folder" is gone too. On disk the empty folders
    /// left by a delete are removed up to (not including) the bucket, so both stores list and look alike.
    /// </summary>
    private static void RemoveEmptyFolders(string folder, string bucketPath)
    {
        while (folder.Length > bucketPath.Length && folder.StartsWith(bucketPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    return;
                }

                Directory.Delete(folder);
            }
            catch (IOException)
            {
                // A writer put a file there meanwhile, or the folder is already gone: either way nothing to remove.
                return;
            }

            folder = Path.GetDirectoryName(folder)!;
        }
    }

    private string ObjectPath(string bucket, string key)
    {
        ObjectKeys.ValidateBucket(bucket);
        ObjectKeys.ValidateKey(key);
        var bucketPath = BucketPath(bucket);
        if (!Directory.Exists(bucketPath))
        {
            throw new BucketNotFoundException(bucket, Description);
        }

        var path = Path.GetFullPath(Path.Combine(bucketPath, key));
        // Defence in depth: ValidateKey already rejects '..' and absolute keys.
        if (!path.StartsWith(bucketPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new DryWetException($"Object key '{key}' resolves outside bucket '{bucket}'.");
        }

        return path;
    }

    [GeneratedRegex(@"^\..+\.tmp-[0-9a-f]{32}$")]
    private static partial Regex TempFilePattern();
}
