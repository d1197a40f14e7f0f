using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>An autoscaled Deployment: policy/v1 PodDisruptionBudget keeping one pod through node drains and upgrades.</summary>
public static class PodDisruptionBudgetMapper
{
    public static V1PodDisruptionBudget? ToPodDisruptionBudget(this KubernetesResourceContext context)
    {
        if (!context.Resource.TryGetLastAnnotation<KubernetesAutoscalingAnnotation>(out _))
        {
            return null;
        }

        return new V1PodDisruptionBudget
        {
            ApiVersion = "policy/v1",
            Kind = "PodDisruptionBudget",
            Metadata = context.Metadata($"{context.Name}-pdb"),
            Spec = new V1PodDisruptionBudgetSpec
            {
                MinAvailable = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(context.Labels) },
                // A pod that never became ready (no model yet) may be evicted; it protects nothing.
                UnhealthyPodEvictionPolicy = "AlwaysAllow",
            },
        };
    }
}
