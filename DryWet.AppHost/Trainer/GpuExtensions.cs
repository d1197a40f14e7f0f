using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;

namespace DryWet.AppHost.Trainer;

public static class GpuExtensions
{
    /// <summary>Marks the resource as needing GPUs (read by the Kubernetes publish step).</summary>
    public static IResourceBuilder<T> WithGpuRequirement<T>(this IResourceBuilder<T> resource, int count = 1) where T : IResource
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return resource.WithAnnotation(new GpuRequirementAnnotation(count), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Marks a container as needing GPUs and passes them through the runtime: Docker <c>--gpus all</c>,
    /// Podman <c>--device nvidia.com/gpu=all</c> (CDI), chosen by <c>ASPIRE_CONTAINER_RUNTIME</c> as Aspire does.
    /// </summary>
    public static IResourceBuilder<ContainerResource> WithGpus(this IResourceBuilder<ContainerResource> container, int count = 1)
    {
        container.WithGpuRequirement(count);
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        return string.Equals(runtime, "podman", StringComparison.OrdinalIgnoreCase)
            ? container.WithContainerRuntimeArgs("--device", "nvidia.com/gpu=all")
            : container.WithContainerRuntimeArgs("--gpus", "all");
    }
}
