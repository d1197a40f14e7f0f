namespace DryWet.Core.Storage;

/// <summary>Fills a folder through a sibling temp folder and a rename, so a reader never sees a half-copied folder.</summary>
public static class AtomicDirectory
{
    /// <summary>
    /// Calls <paramref name="fill"/> with an empty temp folder next to <paramref name="destination"/>, then moves it into
    /// place (an existing folder there is replaced). On failure the temp folder is removed and the destination is untouched.
    /// </summary>
    public static async Task WriteAsync(string destination, Func<string, Task> fill)
    {
        destination = Path.GetFullPath(destination);
        var parent = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(destination)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            await fill(temp);
            if (Directory.Exists(destination))
            {
                var old = temp + ".old";
                Directory.Move(destination, old);
                Directory.Move(temp, destination);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, destination);
            }
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
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
}
