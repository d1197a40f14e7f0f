using System.Collections.Concurrent;

namespace DryWet.Tests.Storage;

/// <summary>
/// Locations tests need: the repository root (found from the test binary) and throw-away temp folders and files. The
/// one owner of the tests' temp paths: each one made here is recorded, the test or fixture that made it deletes it
/// (Dispose or finally, <see cref="DeleteQuietly"/>), and <see cref="TempPathGuard"/> fails the run when any is still
/// there after the last test; <see cref="TestTempPathTests"/> keeps every other way of making one out of the tests.
/// </summary>
internal static class TestFolders
{
    private static readonly ConcurrentDictionary<string, byte> Made = new(StringComparer.Ordinal);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A new empty folder under the system temp dir; the caller deletes it.</summary>
    public static string NewTempDirectory(string prefix = "drywet-test")
    {
        var path = NewTempPath(prefix);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A new empty file under the system temp dir; the caller deletes it.</summary>
    public static string NewTempFile(string prefix, string extension = ".tmp")
    {
        var path = NewTempPath(prefix, extension);
        File.WriteAllBytes(path, []);
        return path;
    }

    /// <summary>
    /// A fresh path under the system temp dir that is not created here, for a folder or file the code under test
    /// creates (an AppHost's home, a download's target); the caller deletes whatever appears there.
    /// </summary>
    public static string NewTempPath(string prefix, string extension = "")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}{extension}");
        Made.TryAdd(path, 0);
        return path;
    }

    /// <summary>Deletes a folder (with everything in it) or a file; nothing there is fine.</summary>
    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // Still in use (a file mapped by a disposing session): TempPathGuard names it if it is still there at the end.
        }
    }

    /// <summary>The paths made here that still exist.</summary>
    public static IReadOnlyList<string> LeftBehind() =>
        [.. Made.Keys.Where(p => Directory.Exists(p) || File.Exists(p)).Order(StringComparer.Ordinal)];

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
