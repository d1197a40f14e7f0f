using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>A resource with a connection string that the cluster does not already host: apps/v1 StatefulSet.</summary>
public static class StatefulSetMapper
{
    public static V1StatefulSet ToStatefulSet(this KubernetesResourceContext context) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = context.Metadata($"{context.Name}-statefulset"),
        Spec = new V1StatefulSetSpec
        {
            ServiceName = $"{context.Name}-service",
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(context.Labels) },
            Template = context.ToPodTemplate(),
        },
    };
}
