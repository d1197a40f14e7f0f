namespace DryWet.AppHost.Extensions;

/// <summary>
/// The resource needs <paramref name="Count"/> NVIDIA GPUs. Container runtime args never reach a publisher, so the
/// Kubernetes publish step reads this marker to set <c>nvidia.com/gpu</c> limits.
/// </summary>
public sealed record GpuRequirementAnnotation(int Count) : IResourceAnnotation;
