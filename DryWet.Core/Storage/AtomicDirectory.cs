namespace DryWet.Core.Storage;

/// <summary>Fills a folder through a sibling temp folder and a rename, so a reader never sees a half-copied folder.</summary>
public static class AtomicDirectory
{
    /// <summary>
    /// Calls <paramref name="fill"/> with an empty temp folder next to <paramref name="destination"/>, then moves it into
    /// place (an existing folder there is replaced: callers that write where a user points decide first whether that
    /// folder may go). On failure or cancellation the temp folder is removed and the destination is untouched.
    /// </summary>
    public static async Task WriteAsync(string destination, Func<string, Task> fill)
    {
        var (target, temp) = CreateTemp(destination);
        try
        {
            await fill(temp);
            MoveIntoPlace(temp, target);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>The synchronous <see cref="WriteAsync"/>.</summary>
    public static void Write(string destination, Action<string> fill) =>
        WriteAsync(destination, temp =>
        {
            fill(temp);
            return Task.CompletedTask;
        }).GetAwaiter().GetResult();

    /// <summary>
    /// Throws a <see cref="DryWetException"/> naming <paramref name="directory"/> unless replacing it loses nothing its
    /// writer did not write: it does not exist, is an empty folder, or holds <paramref name="mark"/>, the file that writer
    /// leaves in every folder it writes (a model package's <c>MLmodel</c>, a downloaded dataset's mark).
    /// <paramref name="force"/> (the user said so: <c>--force</c>) allows replacing any folder; a file is never replaced.
    /// </summary>
    /// <param name="kind">What the writer writes, for the message: "a model package".</param>
    public static void EnsureReplaceable(string directory, string mark, string kind, bool force)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new DryWetException($"'{full}' is a file, not a folder: pass a folder for {kind}.");
        }

        if (force || !Directory.Exists(full) || File.Exists(Path.Combine(full, mark)) || !Directory.EnumerateFileSystemEntries(full).Any())
        {
            return;
        }

        throw new DryWetException($"'{full}' is not empty and is not {kind} (it has no {mark} file): writing {kind} there would delete its files. Choose a new or empty folder, or pass --force to replace the folder and everything in it.");
    }

    /// <summary>Copies every file under <paramref name="source"/> into <paramref name="target"/>, keeping relative paths.</summary>
    public static void CopyTree(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is <paramref name="folder"/> or lies inside it, compared as full paths with a
    /// separator (so <c>/data/pkgA-other</c> is not inside <c>/data/pkgA</c>).
    /// </summary>
    public static bool Contains(string folder, string path)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(folder), Path.GetFullPath(path));
        return relative == "." || !(relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative));
    }

    private static (string Target, string Temp) CreateTemp(string destination)
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        var parent = Path.GetDirectoryName(target) ?? throw new DryWetException($"'{destination}' cannot be replaced: it is a file system root.");
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        return (target, temp);
    }

    /// <summary>Renames <paramref name="temp"/> to <paramref name="target"/>; a folder already there is set aside first, put back if the rename fails, and deleted after it succeeded.</summary>
    private static void MoveIntoPlace(string temp, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }

        var old = temp + ".old";
        Directory.Move(target, old);
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }

        DeleteQuietly(old);
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Our own temp folder: a leftover is harmless, the caller's own error (if any) is what matters.
        }
    }
}
