using Aspire.Hosting.Pipelines;
using DryWet.AppHost.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Publishing;

public static class KubernetesPublishingExtensions
{
    /// <summary>Name of the pipeline step; <c>aspire publish</c> runs it (it is required by the publish step).</summary>
    public const string StepName = "publish-kubernetes";

    /// <summary>
    /// Registers the step that writes Kubernetes manifests plus a kustomization.yaml into the publish output folder
    /// (<c>aspire publish -o k8s</c>, or <c>dotnet run --project DryWet.AppHost -- --operation publish --step publish-kubernetes --output-path k8s</c>).
    /// </summary>
    public static IDistributedApplicationBuilder AddKubernetesPublishing(this IDistributedApplicationBuilder builder)
    {
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var options = new KubernetesPublishOptions();
            context.Services.GetRequiredService<IConfiguration>().GetSection(KubernetesPublishOptions.SectionName).Bind(options);
            var outputDirectory = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var configuration = context.Services.GetRequiredService<IConfiguration>();

            var manifests = await new KubernetesManifestBuilder(context.Model, options, configuration)
                .BuildAsync(context.CancellationToken).ConfigureAwait(false);
            var files = KubernetesManifestWriter.Write(manifests, options, outputDirectory);
            context.Logger.LogInformation("Wrote {Count} Kubernetes files to {Directory}; deploy with: kubectl apply -k {Directory}",
                files.Count, outputDirectory, outputDirectory);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>Name of the resource's Kubernetes objects (default: the resource name).</summary>
    public static IResourceBuilder<T> PublishAsKubernetesName<T>(this IResourceBuilder<T> resource, string name) where T : IResource =>
        resource.WithAnnotation(new KubernetesNameAnnotation(name), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>
    /// Publish as a suspended batch/v1 Job (run to completion; unsuspend to start), not a Deployment, optionally with
    /// steps of the same image before and after the resource's own command.
    /// </summary>
    public static IResourceBuilder<T> PublishAsKubernetesJob<T>(
        this IResourceBuilder<T> resource, string? mainStep = null, JobStep[]? before = null, JobStep[]? after = null) where T : IResource =>
        resource.WithAnnotation(new KubernetesJobAnnotation(mainStep, before ?? [], after ?? []), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>Route the endpoint through the Istio gateway and let Prometheus scrape /metrics.</summary>
    public static IResourceBuilder<T> PublishBehindGateway<T>(this IResourceBuilder<T> resource, string endpointName = "http") where T : IResource =>
        resource.WithAnnotation(new KubernetesGatewayRouteAnnotation(endpointName), ResourceAnnotationMutationBehavior.Replace);

    public static IResourceBuilder<T> WithKubernetesResources<T>(
        this IResourceBuilder<T> resource, string cpu, string memory, string cpuLimit, string memoryLimit) where T : IResource =>
        resource.WithAnnotation(new KubernetesResourcesAnnotation(cpu, memory, cpuLimit, memoryLimit), ResourceAnnotationMutationBehavior.Replace);

    internal static string KubernetesName(this IResource resource) =>
        (resource.Annotations.OfType<KubernetesNameAnnotation>().LastOrDefault()?.Name ?? resource.Name).ToLowerInvariant();

    internal static int? GpuCount(this IResource resource) =>
        resource.Annotations.OfType<GpuRequirementAnnotation>().LastOrDefault()?.Count;
}
