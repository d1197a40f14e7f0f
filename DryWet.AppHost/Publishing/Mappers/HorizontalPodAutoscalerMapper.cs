using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// An autoscaled Deployment: autoscaling/v2 HorizontalPodAutoscaler on average CPU utilization (relative to the
/// container's CPU request, so the resource needs one). Needs the metrics API (minikube: the metrics-server addon).
/// </summary>
public static class HorizontalPodAutoscalerMapper
{
    public static V2HorizontalPodAutoscaler? ToHorizontalPodAutoscaler(this KubernetesResourceContext context)
    {
        if (!context.Resource.TryGetLastAnnotation<KubernetesAutoscalingAnnotation>(out var scaling))
        {
            return null;
        }

        if (!context.Resource.TryGetLastAnnotation<KubernetesResourcesAnnotation>(out _))
        {
            throw new InvalidOperationException(
                $"Resource '{context.Resource.Name}' is autoscaled on CPU but has no CPU request: add WithKubernetesResources(cpu: …).");
        }

        return new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = context.Metadata($"{context.Name}-hpa"),
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = $"{context.Name}-deployment" },
                MinReplicas = scaling.MinReplicas,
                MaxReplicas = scaling.MaxReplicas,
                Metrics =
                [
                    new V2MetricSpec
                    {
                        Type = "Resource",
                        Resource = new V2ResourceMetricSource
                        {
                            Name = "cpu",
                            Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = scaling.CpuUtilizationPercent },
                        },
                    },
                ],
                // Scale up at once on load; scale down only after five calm minutes (a model load per new pod is costly).
                Behavior = new V2HorizontalPodAutoscalerBehavior
                {
                    ScaleDown = new V2HPAScalingRules
                    {
                        StabilizationWindowSeconds = 300,
                        Policies = [new V2HPAScalingPolicy { Type = "Pods", Value = 1, PeriodSeconds = 60 }],
                    },
                },
            },
        };
    }
}
