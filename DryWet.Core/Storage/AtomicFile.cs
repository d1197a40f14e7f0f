namespace DryWet.Core.Storage;

/// <summary>Writes a file through a sibling temp file and a rename, so readers never see a partial file.</summary>
public static class AtomicFile
{
    public static Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        WriteAsync(path, write, laterThanReplaced: false, cancellationToken);

    /// <param name="laterThanReplaced">
    /// Gives the new file a later modification time than the file it replaces, even when both writes fall into one tick
    /// of the file system's clock (Linux without fine-grained timestamps: a few ms; coarser elsewhere), so a new version
    /// of the same size never lists like the old one. Rewrites of one path must not race (the last rename wins anyway).
    /// </param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, bool laterThanReplaced, CancellationToken cancellationToken)
    {
        path = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.tmp-{Guid.NewGuid():N}");
        try
        {
            await using (var stream = CreateTemp(directory, temp))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }

            if (laterThanReplaced)
            {
                StampLaterThan(temp, path);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// The temp file, in a folder created for it. A store that removes a folder when its last file is deleted (the
    /// embedded object store) may remove it between the two steps; then the folder is created again, a few times.
    /// Once the temp file exists the folder is not empty, so it stays until the rename.
    /// </summary>
    private static FileStream CreateTemp(string directory, string temp)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(directory);
                return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            }
            catch (IOException) when (attempt < 10 && !File.Exists(temp))
            {
                // The folder was removed as it emptied, by a concurrent delete: between the two steps, or inside
                // CreateDirectory itself (mkdir finds it, the check after finds nothing). Create it again.
            }
        }
    }

    public static Task CopyAsync(string source, string destination, CancellationToken cancellationToken) =>
        WriteAsync(destination, async (target, ct) =>
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await input.CopyToAsync(target, ct);
        }, cancellationToken);

    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAsync(path, async (target, ct) =>
        {
            await using var writer = new StreamWriter(target, leaveOpen: true);
            await writer.WriteAsync(text.AsMemory(), ct);
        }, cancellationToken);

    /// <summary>Moves <paramref name="file"/>'s modification time past <paramref name="replaced"/>'s, in the smallest step the file system keeps.</summary>
    private static void StampLaterThan(string file, string replaced)
    {
        if (!File.Exists(replaced))
        {
            return;
        }

        var previous = File.GetLastWriteTimeUtc(replaced);
        for (var step = TimeSpan.FromTicks(1); File.GetLastWriteTimeUtc(file) <= previous && step <= TimeSpan.FromSeconds(2); step *= 10)
        {
            File.SetLastWriteTimeUtc(file, previous + step);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover dot-temp file is harmless and ignored by listings.
        }
    }
}
