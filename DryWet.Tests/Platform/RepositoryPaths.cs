namespace DryWet.Tests.Platform;

/// <summary>Files of the repository the tests read (platform/, committed fixtures), found from the test binary upwards.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DryWet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"DryWet.sln not found above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;

    public static string AppHostDirectory => Combine("DryWet.AppHost");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
