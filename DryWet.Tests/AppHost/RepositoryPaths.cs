namespace DryWet.Tests.AppHost;

/// <summary>Paths in the source tree, found from the test assembly (bin/...) by walking up to DryWet.sln.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string AppHostDirectory => Path.Combine(Root, "DryWet.AppHost");

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

    /// <summary>Snapshot update mode (DRYWET_UPDATE_SNAPSHOTS=true), refused in CI so drift always fails there.</summary>
    public static bool UpdateSnapshots
    {
        get
        {
            var update = string.Equals(Environment.GetEnvironmentVariable("DRYWET_UPDATE_SNAPSHOTS"), "true", StringComparison.OrdinalIgnoreCase);
            if (update && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("DRYWET_UPDATE_SNAPSHOTS=true is refused when CI=true: snapshots are updated on a developer machine and committed.");
            }

            return update;
        }
    }
}
