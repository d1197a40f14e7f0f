using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;

namespace DryWet.AppHost.Trainer;

/// <summary>
/// The resource needs <paramref name="Count"/> NVIDIA GPUs. Container runtime args never reach a publisher, so the
/// Kubernetes publish step reads this marker to set <c>nvidia.com/gpu</c> limits.
/// </summary>
public sealed record GpuRequirementAnnotation(int Count) : IResourceAnnotation;
