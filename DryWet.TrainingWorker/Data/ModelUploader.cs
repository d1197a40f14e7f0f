using System.Globalization;
using DryWet.Core;
using DryWet.Core.Packaging;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Uploads a model package to <c>&lt;bucket&gt;/&lt;name&gt;-&lt;yyyy-MM-dd&gt;-&lt;run id&gt;/...</c>. The original used only the date,
/// so a second run on the same day overwrote the first; the run id keeps them apart.
/// </summary>
public static class ModelUploader
{
    public static async Task<UploadedModel> UploadAsync(IObjectStore store, string packageDirectory, string bucket, string name,
        string? runId, DateTimeOffset now, Action<string>? report = null, CancellationToken cancellationToken = default)
    {
        var package = ModelPackage.Load(packageDirectory);
        runId ??= package.RunId;
        if (string.IsNullOrWhiteSpace(runId))
        {
            throw new DryWetException($"The package in '{packageDirectory}' records no run id (MLmodel run_id); pass --run-id so uploads of different runs never share a folder.");
        }

        if (runId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new DryWetException($"Run id '{runId}' may contain only letters, digits, '-' and '_'.");
        }

        var prefix = $"{name}-{now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}-{runId}";
        ObjectKeys.ValidateKey(prefix);
        await store.EnsureBucketAsync(bucket, cancellationToken);
        // A repeated upload of the same run (a retried pipeline step) overwrites a complete folder: never delete that one.
        var fresh = (await store.ListAsync(bucket, prefix + "/", cancellationToken)).Count == 0;
        // MLmodel last: a folder that has it is complete.
        var files = Directory.EnumerateFiles(package.Directory, "*", SearchOption.AllDirectories)
            .OrderBy(f => Path.GetFileName(f) == ModelPackage.MLmodelFile).ThenBy(f => f, StringComparer.Ordinal).ToList();
        var uploaded = new List<string>();
        long bytes = 0;
        try
        {
            foreach (var file in files)
            {
                var key = $"{prefix}/{Path.GetRelativePath(package.Directory, file).Replace(Path.DirectorySeparatorChar, '/')}";
                uploaded.Add(key);
                await store.UploadFileAsync(bucket, key, file, cancellationToken);
                bytes += new FileInfo(file).Length;
                report?.Invoke($"Uploaded {bucket}/{key}");
            }
        }
        catch (Exception ex) when (fresh && ex is OperationCanceledException or IOException or HttpRequestException or DryWetException)
        {
            // Cancelled (Ctrl+C, SIGTERM) or failed half-way: no half package stays in the bucket. The folder is this
            // upload's own (name, date, run id, empty before); a store that is down may keep what it has, the error says why.
            await DeleteQuietlyAsync(store, bucket, uploaded);
            throw;
        }

        return new UploadedModel(bucket, prefix, files.Count, bytes);
    }

    private static async Task DeleteQuietlyAsync(IObjectStore store, string bucket, IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            try
            {
                await store.DeleteAsync(bucket, key, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or DryWetException)
            {
                return;
            }
        }
    }
}

/// <summary>Where an uploaded package landed.</summary>
public sealed record UploadedModel(string Bucket, string Prefix, int Files, long Bytes);
