using System.Text.Json.Nodes;
using DryWet.AppHost.Publishing;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;
using DryWet.Tests.Publishing;

namespace DryWet.Tests.Security;

/// <summary>One object of what reaches the cluster, with where it came from (a publish output file or a kustomization).</summary>
internal sealed record ClusterObject(string Source, JsonObject Node)
{
    public string Kind => Node["kind"]!.GetValue<string>();
    public string ApiVersion => Node["apiVersion"]!.GetValue<string>();
    public string Name => Node["metadata"]!["name"]!.GetValue<string>();
    public string Namespace => Node["metadata"]?["namespace"]?.GetValue<string>() ?? "";

    public override string ToString() => $"{Kind} {Namespace}/{Name} ({Source})";
}

/// <summary>
/// Everything DryWet applies to a cluster: the default <c>aspire publish</c> output (every file, as the publish step
/// wrote it) and every kustomization under platform/manifests as <c>kubectl kustomize</c> builds it.
/// </summary>
internal static class ClusterManifests
{
    private static readonly HashSet<string> PodKinds = ["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "Pod"];

    public static async Task<List<ClusterObject>> PublishedAsync()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        return [.. KubernetesPublish.YamlFiles(output)
            .Where(f => Path.GetFileName(f) != KubernetesManifestWriter.KustomizationFile)
            .SelectMany(f => Load(File.ReadAllText(f), Path.GetRelativePath(output, f)))];
    }

    public static async Task<List<ClusterObject>> PlatformAsync()
    {
        ProcessRunner.OnPath("kubectl").ShouldBeTrue("kubectl (client) is required to build the kustomizations");
        var objects = new List<ClusterObject>();
        var manifests = RepositoryPaths.Combine("platform", "manifests");
        foreach (var dir in Directory.GetFiles(manifests, "kustomization.yaml", SearchOption.AllDirectories).Select(Path.GetDirectoryName).Order(StringComparer.Ordinal))
        {
            var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", dir!]);
            result.ExitCode.ShouldBe(0, result.All);
            objects.AddRange(Load(result.StdOut, Path.GetRelativePath(RepositoryPaths.Root, dir!)));
        }

        objects.AddRange(Load(File.ReadAllText(Path.Combine(manifests, "namespaces.yaml")), "platform/manifests/namespaces.yaml"));
        return objects;
    }

    public static async Task<List<ClusterObject>> AllAsync() => [.. await PublishedAsync(), .. await PlatformAsync()];

    public static IEnumerable<ClusterObject> Load(string yaml, string source) =>
        YamlToJson.LoadAll(yaml).OfType<JsonObject>().Select(n => new ClusterObject(source, n));

    public static bool RunsPods(this ClusterObject o) => PodKinds.Contains(o.Kind);

    /// <summary>The pod template (or the Pod itself): metadata.labels and spec.</summary>
    public static JsonObject PodTemplate(this ClusterObject o) =>
        o.Kind == "Pod" ? o.Node : (JsonObject)o.Node["spec"]!["template"]!;

    public static Dictionary<string, string> PodLabels(this ClusterObject o) =>
        o.PodTemplate()["metadata"]?["labels"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) ?? [];
}
