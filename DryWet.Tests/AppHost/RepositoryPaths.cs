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
}
