using System.IO.Compression;
using DryWet.Core;

namespace DryWet.TrainingWorker.Data;

/// <summary>Limits that keep a hostile or broken zip from filling the disk or escaping the work folder.</summary>
public sealed record ZipLimits
{
    public int MaxEntries { get; init; } = 200_000;
    public long MaxTotalBytes { get; init; } = 20L * 1024 * 1024 * 1024;
    public long MaxEntryBytes { get; init; } = 512L * 1024 * 1024;
    /// <summary>Uncompressed/compressed above this is a bomb (JPEGs barely compress; text reaches ~10).</summary>
    public double MaxCompressionRatio { get; init; } = 200;
    /// <summary>The ratio is only judged above this size, so tiny files with a high ratio pass.</summary>
    public long RatioCheckMinBytes { get; init; } = 1024 * 1024;

    public static ZipLimits Default { get; } = new();
}

/// <summary>
/// Extracts a dataset zip into a folder, refusing entries that would land outside it (zip-slip: "../", absolute
/// paths), archives with too many entries, and zip bombs (declared or actual size beyond the limits, or an extreme
/// compression ratio). Sizes are counted while copying, so a lying header does not help. Nothing is left on failure.
/// </summary>
public static class SafeZipExtractor
{
    public static void Extract(string zipPath, string destination, ZipLimits? limits = null)
    {
        limits ??= ZipLimits.Default;
        var root = Path.GetFullPath(destination);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new InvalidOperationException($"Extraction folder '{root}' must be new or empty.");
        }

        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException ex)
        {
            throw new DryWetException($"'{zipPath}' is not a readable zip file ({ex.Message}). Pass a zip or a folder with one subfolder per class (dry/, wet/).", ex);
        }

        using (archive)
        {
            if (archive.Entries.Count > limits.MaxEntries)
            {
                throw new DryWetException($"'{zipPath}' has {archive.Entries.Count:N0} entries, more than the limit of {limits.MaxEntries:N0}; refusing to extract it.");
            }

            // Check every name and declared size before writing a single byte.
            long declared = 0;
            foreach (var entry in archive.Entries)
            {
                Target(entry, rootWithSeparator, zipPath);
                declared += entry.Length;
                CheckSizes(entry, entry.Length, declared, limits, zipPath);
            }

            Directory.CreateDirectory(root);
            try
            {
                long written = 0;
                var buffer = new byte[81920];
                foreach (var entry in archive.Entries)
                {
                    var target = Target(entry, rootWithSeparator, zipPath);
                    if (target is null)
                    {
                        continue;
                    }

                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    using var input = entry.Open();
                    using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                    long entryBytes = 0;
                    int read;
                    while ((read = input.Read(buffer)) > 0)
                    {
                        entryBytes += read;
                        written += read;
                        CheckSizes(entry, entryBytes, written, limits, zipPath);
                        output.Write(buffer, 0, read);
                    }
                }
            }
            catch
            {
                Directory.Delete(root, recursive: true);
                throw;
            }
        }
    }

    /// <summary>The full path an entry extracts to; null for folders. Throws for names that escape the root.</summary>
    private static string? Target(ZipArchiveEntry entry, string rootWithSeparator, string zipPath)
    {
        var name = entry.FullName.Replace('\\', '/');
        if (name.EndsWith('/'))
        {
            return null;
        }

        // Unix symlinks stored in the zip (mode 0120000) could point anywhere: refuse them.
        const int SymlinkMode = 0xA000;
        if (((entry.ExternalAttributes >> 16) & 0xF000) == SymlinkMode)
        {
            throw new DryWetException($"'{zipPath}' contains a symbolic link '{entry.FullName}'; refusing to extract it. Zip the files themselves.");
        }

        var target = Path.GetFullPath(Path.Combine(rootWithSeparator, name));
        if (Path.IsPathRooted(name) || !target.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new DryWetException($"'{zipPath}' contains the entry '{entry.FullName}', which would be written outside the extraction folder (zip-slip); refusing to extract it.");
        }

        return target;
    }

    private static void CheckSizes(ZipArchiveEntry entry, long entryBytes, long totalBytes, ZipLimits limits, string zipPath)
    {
        if (entryBytes > limits.MaxEntryBytes)
        {
            throw new DryWetException($"'{zipPath}': entry '{entry.FullName}' expands beyond {limits.MaxEntryBytes:N0} bytes; refusing it as a possible zip bomb.");
        }

        if (totalBytes > limits.MaxTotalBytes)
        {
            throw new DryWetException($"'{zipPath}' expands beyond {limits.MaxTotalBytes:N0} bytes in total; refusing it as a possible zip bomb.");
        }

        if (entryBytes >= limits.RatioCheckMinBytes && entryBytes > limits.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
        {
            throw new DryWetException($"'{zipPath}': entry '{entry.FullName}' expands more than {limits.MaxCompressionRatio:N0}× ({entry.CompressedLength:N0} → {entryBytes:N0}+ bytes); refusing it as a possible zip bomb.");
        }
    }
}
