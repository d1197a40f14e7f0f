using DryWet.Tests.Platform;

namespace DryWet.Tests.Security;

/// <summary>
/// No committed file a deployment reads or a reader copies from (platform/, docs, README, the AppHost, the publish
/// snapshots, aspire-manifest.json) holds one of the passwords the upstream projects ship, in any encoding.
/// </summary>
public class RepositorySecretScanTests
{
    private static readonly string[] Scanned = ["platform/", "docs/", "README.md", "aspire-manifest.json", "DryWet.AppHost/", "DryWet.Tests/Publishing/Snapshots/"];

    [Fact]
    public async Task No_committed_deployment_file_or_doc_holds_a_well_known_password_plain_or_encoded()
    {
        var listed = await ProcessRunner.RunAsync("git", ["-C", RepositoryPaths.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
        listed.ExitCode.ShouldBe(0, listed.All);
        var files = listed.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => Scanned.Any(s => f.StartsWith(s, StringComparison.Ordinal) || f == s))
            .Where(f => File.Exists(RepositoryPaths.Combine(f)))
            .ToList();

        files.Count.ShouldBeGreaterThan(50, "the scan reads the repository's files");
        var findings = new List<string>();
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(RepositoryPaths.Combine(file), TestContext.Current.CancellationToken);
            findings.AddRange(SecretScanner.Find(text, ClusterSecurityTests.WellKnownPasswords).Select(f => $"{file}: {f}"));
        }

        findings.ShouldBeEmpty();
    }
}
