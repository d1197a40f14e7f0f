using DryWet.Core.Platform;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Contracts;

/// <summary>The platform's shared names have one definition (<see cref="PlatformNames"/>) that the scripts' copy and every alias follow.</summary>
public sealed class PlatformNamesTests
{
    [Fact]
    public async Task The_platform_scripts_create_the_same_buckets()
    {
        var config = YamlToJson.LoadAll(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "config.yaml"), TestContext.Current.CancellationToken))[0]!;
        var buckets = config["minio"]!["buckets"]!.AsArray().Select(b => b!.GetValue<string>()).ToList();
        buckets.ShouldBe(PlatformNames.Buckets, ignoreOrder: true);
    }

    [Fact]
    public void Production_code_spells_no_shared_name_outside_PlatformNames()
    {
        string[] names = [PlatformNames.DataBucket, PlatformNames.ModelsBucket, PlatformNames.FeedbackBucket, PlatformNames.DatasetObject,
            PlatformNames.EvaluationPrefix, PlatformNames.LabelManifestPrefix];
        var owner = Path.Combine("DryWet.Core", "Platform", "PlatformNames.cs");
        var offenders = Directory.EnumerateDirectories(RepositoryPaths.Root, "DryWet.*")
            .Where(d => !Path.GetFileName(d).Equals("DryWet.Tests", StringComparison.Ordinal))
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.EndsWith(owner, StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal)
                && names.Any(n => x.line.Contains($"\"{n}\"", StringComparison.Ordinal)))
            .Select(x => $"{Path.GetRelativePath(RepositoryPaths.Root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        offenders.ShouldBeEmpty();
    }
}
