namespace DryWet.AppHost.Publishing;

/// <summary>CPU/memory requests and limits of a resource's pod (Kubernetes quantities such as "500m", "1Gi").</summary>
public sealed record KubernetesResourcesAnnotation(string CpuRequest, string MemoryRequest, string CpuLimit, string MemoryLimit) : IResourceAnnotation;
