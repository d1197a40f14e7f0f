using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Fetches the dataset object (the original's ml-data/dry-wet-data.zip) and unpacks it into a folder of class folders.
/// The zip goes through <see cref="SafeZipExtractor"/>; the folder appears whole (temp folder + rename) or not at all.
/// A download replaces only a folder it wrote itself (it holds <see cref="MarkFile"/>), an empty one, or any with
/// <c>--force</c>: <see cref="EnsureReplaceable"/>, the rule <c>train --output</c> follows for model packages.
/// </summary>
public static class DatasetDownloader
{
    /// <summary>
    /// The file every downloaded dataset folder holds (its source), so a later download knows the folder is its own to
    /// replace. A dot-file at the root: no dataset listing counts it (see <see cref="DatasetKeys.Classify"/>).
    /// </summary>
    public const string MarkFile = ".drywet-download";

    /// <summary>Refuses (exit 2, naming it) a non-empty <paramref name="output"/> that is not a downloaded dataset, unless <paramref name="force"/>.</summary>
    public static void EnsureReplaceable(string output, bool force) =>
        AtomicDirectory.EnsureReplaceable(output, MarkFile, "a downloaded dataset", force);

    /// <summary>Marks <paramref name="folder"/> (a temp folder about to be renamed into place) as written by a download from <paramref name="source"/>.</summary>
    public static void Mark(string folder, string source) =>
        File.WriteAllText(Path.Combine(folder, MarkFile), $"Written by the DryWet trainer's download from {source}; a later download may replace this folder.\n");

    /// <param name="force">Replace the output folder even when a download did not write it (<c>download --force</c>).</param>
    public static async Task<DownloadedDataset> DownloadAsync(IObjectStore store, string bucket, string key, string outputDirectory,
        Action<string>? report = null, CancellationToken cancellationToken = default, bool force = false)
    {
        EnsureReplaceable(outputDirectory, force);
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
                Mark(temp, $"{bucket}/{key}");
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
