using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Fetches the dataset object (the original's ml-data/dry-wet-data.zip) and unpacks it into a folder of class folders.
/// The zip goes through <see cref="SafeZipExtractor"/>; the folder appears whole (temp folder + rename) or not at all.
/// </summary>
public static class DatasetDownloader
{
    public static async Task<DownloadedDataset> DownloadAsync(IObjectStore store, string bucket, string key, string outputDirectory,
        Action<string>? report = null, CancellationToken cancellationToken = default)
    {
        var output = Path.GetFullPath(outputDirectory);
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var zip = Path.Combine(parent, $".{Path.GetFileName(output)}.download-{Guid.NewGuid():N}.zip");
        try
        {
            report?.Invoke($"Downloading {bucket}/{key} from {store.Description} …");
            var started = System.Diagnostics.Stopwatch.StartNew();
            await store.DownloadFileAsync(bucket, key, zip, cancellationToken);
            var bytes = new FileInfo(zip).Length;
            report?.Invoke($"Downloaded {bytes:N0} bytes in {started.Elapsed.TotalSeconds:F1} s; extracting to {output} …");
            if (!key.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) && !LooksLikeZip(zip))
            {
                throw new DryWetException($"Object {bucket}/{key} is not a zip file; the dataset must be a zip with one folder per class (dry/, wet/).");
            }

            await AtomicDirectory.WriteAsync(output, temp =>
            {
                SafeZipExtractor.Extract(zip, temp);
                FlattenSingleTopFolder(temp);
                return Task.CompletedTask;
            });
            var classes = Directory.GetDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            return new DownloadedDataset(output, bytes, classes!);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    /// <summary>A zip of "dry-wet-data/dry, dry-wet-data/wet" becomes "dry, wet" so the output is always the class folders.</summary>
    private static void FlattenSingleTopFolder(string root)
    {
        var dirs = Directory.GetDirectories(root);
        if (dirs.Length != 1 || Directory.GetFiles(root).Length != 0 || Directory.GetDirectories(dirs[0]).Length < 2)
        {
            return;
        }

        var inner = dirs[0];
        foreach (var entry in Directory.EnumerateFileSystemEntries(inner))
        {
            var target = Path.Combine(root, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                Directory.Move(entry, target);
            }
            else
            {
                File.Move(entry, target);
            }
        }

        Directory.Delete(inner);
    }

    private static bool LooksLikeZip(string path)
    {
        Span<byte> header = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(header) == 4 && header[0] == 'P' && header[1] == 'K';
    }
}

/// <summary>The result of a dataset download.</summary>
public sealed record DownloadedDataset(string Directory, long ZipBytes, IReadOnlyList<string> Classes);
