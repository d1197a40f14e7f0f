using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DryWet.Tests.Storage;

namespace DryWet.Tests.Publishing;

/// <summary>
/// What one in-process run of the publish step wrote, and every secret parameter value the app model held; disposing
/// it deletes the folder.
/// </summary>
internal sealed record PublishOutput(string Directory, IReadOnlyList<string> SecretValues) : IDisposable
{
    public string Read(params string[] path) => File.ReadAllText(Path.Combine([Directory, .. path]));

    public void Dispose() => TestFolders.DeleteQuietly(Directory);
}

/// <summary>Runs the AppHost's publish-kubernetes pipeline step in-process into a fresh folder (the caller disposes the output).</summary>
internal static class KubernetesPublish
{
    public const string AdminKey = "snapshot-admin-key-0123456789";

    public static Task<PublishOutput> RunAsync(params string[] extraArgs) =>
        RunWithValuesAsync([$"--Parameters:serving-admin-key={AdminKey}", .. extraArgs]);

    /// <summary>Publishes with exactly <paramref name="args"/>; secret parameters left unset get their generated or default values.</summary>
    public static async Task<PublishOutput> RunWithValuesAsync(params string[] args)
    {
        var output = TestFolders.NewTempPath("drywet-k8s");
        try
        {
            return await PublishAsync(output, args);
        }
        catch
        {
            TestFolders.DeleteQuietly(output);
            throw;
        }
    }

    private static async Task<PublishOutput> PublishAsync(string output, string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DryWet_AppHost>(
            ["--operation", "publish", "--step", "publish-kubernetes", "--output-path", output, .. args], ct);
        var secretParameters = builder.Resources.OfType<ParameterResource>().Where(p => p.Secret).ToList();
        await using var app = await builder.BuildAsync(ct);
        await app.RunAsync(ct);

        File.Exists(Path.Combine(output, "kustomization.yaml")).ShouldBeTrue("the publish step wrote no kustomization.yaml");
        var values = new List<string>();
        foreach (var parameter in secretParameters)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            if (await parameter.GetValueAsync(timeout.Token) is { Length: > 0 } value)
            {
                values.Add(value);
            }
        }

        return new(output, values);
    }

    public static IEnumerable<string> YamlFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Every file written, dot files included (.env.example, .gitignore).</summary>
    public static IEnumerable<string> AllFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
}
