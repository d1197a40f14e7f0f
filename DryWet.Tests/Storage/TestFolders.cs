namespace DryWet.Tests.Storage;

/// <summary>Locations tests need: the repository root (found from the test binary) and throw-away temp folders.</summary>
internal static class TestFolders
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A new empty folder under the system temp dir; the caller deletes it (or leaves it to the OS).</summary>
    public static string NewTempDirectory(string prefix = "drywet-test")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Temp folders left behind are harmless.
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DryWet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DryWet.sln not found above {AppContext.BaseDirectory}.");
    }
}
