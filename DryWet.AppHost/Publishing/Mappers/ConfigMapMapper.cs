using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>The resource's environment that holds no secret: v1 ConfigMap <c>&lt;name&gt;-config</c>, read with envFrom.</summary>
public static class ConfigMapMapper
{
    public static V1ConfigMap ToConfigMap(this KubernetesResourceContext context) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = context.Metadata($"{context.Name}-config"),
        Data = new Dictionary<string, string>(context.Settings, StringComparer.Ordinal),
    };
}
