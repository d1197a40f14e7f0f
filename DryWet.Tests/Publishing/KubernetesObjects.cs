using System.Text.Json.Serialization;
using DryWet.AppHost.Publishing;
using k8s;
using k8s.Models;

namespace DryWet.Tests.Publishing;

/// <summary>Strict parsing of published YAML: each object into the typed model of its kind, unknown fields rejected.</summary>
internal static class KubernetesObjects
{
    private static readonly Dictionary<(string ApiVersion, string Kind), Func<string, object>> StrictParsers = new()
    {
        [("apps/v1", "Deployment")] = y => KubernetesYaml.Deserialize<V1Deployment>(y, strict: true),
        [("apps/v1", "StatefulSet")] = y => KubernetesYaml.Deserialize<V1StatefulSet>(y, strict: true),
        [("batch/v1", "Job")] = y => KubernetesYaml.Deserialize<V1Job>(y, strict: true),
        [("v1", "Service")] = y => KubernetesYaml.Deserialize<V1Service>(y, strict: true),
        [("v1", "ConfigMap")] = y => KubernetesYaml.Deserialize<V1ConfigMap>(y, strict: true),
        [("autoscaling/v2", "HorizontalPodAutoscaler")] = y => KubernetesYaml.Deserialize<V2HorizontalPodAutoscaler>(y, strict: true),
        [("policy/v1", "PodDisruptionBudget")] = y => KubernetesYaml.Deserialize<V1PodDisruptionBudget>(y, strict: true),
        [("networking.k8s.io/v1", "NetworkPolicy")] = y => KubernetesYaml.Deserialize<V1NetworkPolicy>(y, strict: true),
        [(IstioVirtualService.IstioApiVersion, "VirtualService")] = y => KubernetesYaml.Deserialize<IstioVirtualService>(y, strict: true),
    };

    /// <summary>The object in <paramref name="yaml"/>, parsed strictly as its apiVersion/kind; an unknown kind fails.</summary>
    public static object ParseStrict(string yaml)
    {
        var header = KubernetesYaml.Deserialize<ObjectHeader>(yaml);
        StrictParsers.TryGetValue((header.ApiVersion, header.Kind), out var parse)
            .ShouldBeTrue($"no strict model for {header.ApiVersion} {header.Kind}");
        return parse!(yaml);
    }

    private sealed class ObjectHeader
    {
        [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
        [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    }

    public static T Load<T>(string directory, params string[] path) =>
        (T)ParseStrict(File.ReadAllText(Path.Combine([directory, .. path])));
}
