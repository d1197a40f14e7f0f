using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace DryWet.Tests.Publishing;

/// <summary>Runs the AppHost's publish-kubernetes pipeline step in-process into a fresh folder.</summary>
internal static class KubernetesPublish
{
    public const string AdminKey = "snapshot-admin-key-0123456789";

    public static async Task<string> RunAsync(params string[] extraArgs)
    {
        var output = Path.Combine(Path.GetTempPath(), $"drywet-k8s-{Guid.NewGuid():N}");
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DryWet_AppHost>(
            ["--operation", "publish", "--step", "publish-kubernetes", "--output-path", output,
             $"--Parameters:serving-admin-key={AdminKey}", .. extraArgs],
            TestContext.Current.CancellationToken);
        await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await app.RunAsync(TestContext.Current.CancellationToken);

        File.Exists(Path.Combine(output, "kustomization.yaml")).ShouldBeTrue("the publish step wrote no kustomization.yaml");
        return output;
    }

    public static IEnumerable<string> YamlFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
}
