using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>A long-running resource: apps/v1 Deployment <c>&lt;name&gt;-deployment</c>.</summary>
public static class DeploymentMapper
{
    public static V1Deployment ToDeployment(this KubernetesResourceContext context)
    {
        var autoscaled = context.Resource.TryGetLastAnnotation<KubernetesAutoscalingAnnotation>(out _);
        var singleton = context.Resource.TryGetLastAnnotation<KubernetesSingletonAnnotation>(out _);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = context.Metadata($"{context.Name}-deployment"),
            Spec = new V1DeploymentSpec
            {
                // An autoscaled Deployment leaves replicas to its HorizontalPodAutoscaler: applying the output again
                // must not reset what the autoscaler chose.
                Replicas = autoscaled ? null : singleton ? 1 : context.Options.Replicas,
                RevisionHistoryLimit = 3,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(context.Labels) },
                // A new pod must be ready before an old one goes: never fewer ready pods than wanted during an update.
                // A singleton is the opposite: the old pod goes first, so two never run at once.
                Strategy = singleton
                    ? new V1DeploymentStrategy { Type = "Recreate" }
                    : new V1DeploymentStrategy
                    {
                        Type = "RollingUpdate",
                        RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" },
                    },
                Template = context.ToPodTemplate(),
            },
        };
    }
}
