using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using DryWet.Tests.Platform;
using Json.Schema;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The committed aspire-manifest.json is what the manifest publisher writes for the AppHost today (aspire-samples'
/// ManifestTests pattern: in-process, no Docker). Update with DRYWET_UPDATE_SNAPSHOTS=true (that run rewrites the file and fails).
/// </summary>
public partial class ManifestTests
{
    private static readonly string CommittedManifest = Path.Combine(RepositoryPaths.Root, "aspire-manifest.json");

    [Fact]
    public async Task Committed_manifest_matches_what_the_AppHost_publishes()
    {
        var generated = await GenerateAsync();

        // Stale? dotnet run --project DryWet.AppHost -- --publisher manifest --output-path ../aspire-manifest.json, or
        // DRYWET_UPDATE_SNAPSHOTS=true (the run rewrites it and fails; review and commit).
        Snapshots.Match(CommittedManifest, generated, Normalize);
    }

    [Fact]
    public async Task Published_manifest_is_valid_against_the_aspire_8_schema()
    {
        var generated = await GenerateAsync();
        var schema = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "AppHost", "aspire-8.0.json"));

        using var document = JsonDocument.Parse(generated);
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        result.IsValid.ShouldBeTrue(string.Join(Environment.NewLine,
            (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}")));
        document.RootElement.GetProperty("resources").EnumerateObject().Select(p => p.Name)
            .ShouldBe(["minio-root-user", "minio-root-password", "minio", "mlflow", "trainer", "trainer-watcher", "serving-admin-key", "serving", "web"], ignoreOrder: true);
    }

    /// <summary>Runs the publish-manifest step in-process next to the committed file (so relative paths match).</summary>
    private static async Task<string> GenerateAsync()
    {
        var output = Path.Combine(RepositoryPaths.Root, $"aspire-manifest.test-{Guid.NewGuid():N}.json");
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DryWet_AppHost>(
                ["--operation", "publish", "--publisher", "manifest", "--output-path", output], TestContext.Current.CancellationToken);
            await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
            await app.RunAsync(TestContext.Current.CancellationToken);

            File.Exists(output).ShouldBeTrue("the manifest publisher wrote nothing");
            return await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [GeneratedRegex("\\r\\n?")]
    private static partial Regex LineEndings();

    private static string Normalize(string json) => LineEndings().Replace(json, "\n").TrimEnd();
}
