namespace DryWet.Tests;

/// <summary>
/// Committed files that tests compare the code's output with (aspire-manifest.json, the published Kubernetes files,
/// the compiled pipelines). A run compares, always. With <c>DRYWET_UPDATE_SNAPSHOTS=true</c> a file that differs (or is
/// missing) is rewritten and the test still fails, naming it: an update run is never green, so setting the variable can
/// never hide a change. Review the diff, commit it and run again without the variable.
/// </summary>
internal static class Snapshots
{
    public const string UpdateVariable = "DRYWET_UPDATE_SNAPSHOTS";

    /// <summary>Whether this run rewrites differing snapshots (and the doc screenshots, see WebPlatformFixture).</summary>
    public static bool Updating => string.Equals(Environment.GetEnvironmentVariable(UpdateVariable), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Compares <paramref name="actual"/> with the committed <paramref name="path"/>, both through <paramref name="normalize"/>.</summary>
    public static void Match(string path, string actual, Func<string, string>? normalize = null)
    {
        normalize ??= text => text;
        var committed = File.Exists(path) ? File.ReadAllText(path) : null;
        if (committed is not null && normalize(committed) == normalize(actual))
        {
            return;
        }

        if (Updating)
        {
            File.WriteAllText(path, actual);
            throw new ShouldAssertException(Rewritten(path));
        }

        committed.ShouldNotBeNull($"{path} is missing: run the test with {UpdateVariable}=true, review the file and commit it.");
        normalize(actual).ShouldBe(normalize(committed), Hint(path));
    }

    /// <summary>Compares the files <paramref name="produced"/> (relative to <paramref name="producedRoot"/>) with the committed <paramref name="folder"/>.</summary>
    public static void MatchFolder(string folder, string producedRoot, IReadOnlyList<string> produced)
    {
        var committed = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToList()
            : [];
        var same = committed.SequenceEqual(produced.Order(StringComparer.Ordinal))
                   && produced.All(f => File.ReadAllText(Path.Combine(producedRoot, f)) == File.ReadAllText(Path.Combine(folder, f)));
        if (same)
        {
            return;
        }

        if (Updating)
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            foreach (var file in produced)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, file))!);
                File.Copy(Path.Combine(producedRoot, file), Path.Combine(folder, file));
            }

            throw new ShouldAssertException(Rewritten(folder));
        }

        committed.ShouldBe(produced.Order(StringComparer.Ordinal).ToList(), $"the set of files changed. {Hint(folder)}");
        foreach (var file in produced)
        {
            File.ReadAllText(Path.Combine(producedRoot, file)).ShouldBe(File.ReadAllText(Path.Combine(folder, file)), $"{file}: {Hint(folder)}");
        }
    }

    private static string Hint(string path) =>
        $"{path} differs from what the code produces now; if the change is intended, run the test with {UpdateVariable}=true, review the diff and commit it.";

    private static string Rewritten(string path) =>
        $"{path} was rewritten ({UpdateVariable}=true): review the diff, commit it and run the tests again without {UpdateVariable}. An update run never passes.";
}
