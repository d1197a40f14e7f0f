using Aspire.Hosting.Pipelines;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
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
            var configuration = context.Services.GetRequiredService<IConfiguration>();
            var options = KubernetesPublishOptions.From(configuration);
            var outputDirectory = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var executionContext = context.Services.GetRequiredService<DistributedApplicationExecutionContext>();

            var result = await new KubernetesManifestBuilder(context.Model, executionContext, options, configuration)
                .BuildAsync(context.CancellationToken).ConfigureAwait(false);
            var files = KubernetesManifestWriter.Write(result, options, outputDirectory);
            if (result.UserSecret is { } secret)
            {
                context.Logger.LogInformation("Before applying: write {EnvFile} in {Directory} with {Keys} (see {Example}; it is git-ignored)",
                    secret.EnvFile, outputDirectory, string.Join(", ", secret.Keys.Select(k => k.Key + "=…")), KubernetesManifestWriter.EnvExampleFile);
            }

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
    /// <param name="prefix">The gateway path; null = <c>DryWet:Kubernetes:RoutePrefix</c> (serving's <c>/dry-wet-model</c>).</param>
    /// <param name="keepPrefix">Forward the path as it is instead of rewriting the prefix to <c>/</c>.</param>
    public static IResourceBuilder<T> PublishBehindGateway<T>(this IResourceBuilder<T> resource, string endpointName = "http",
        string? prefix = null, bool keepPrefix = false) where T : IResource =>
        resource.WithAnnotation(new KubernetesGatewayRouteAnnotation(endpointName, prefix, keepPrefix), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>The image the resource's pods run in the cluster (a project has no image of its own in the app model).</summary>
    public static IResourceBuilder<T> PublishAsKubernetesImage<T>(this IResourceBuilder<T> resource, string image) where T : IResource
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        return resource.WithAnnotation(new KubernetesImageAnnotation(image), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// Autoscale on CPU (HorizontalPodAutoscaler) between <paramref name="minReplicas"/> and <paramref name="maxReplicas"/>,
    /// with a PodDisruptionBudget of one and topology spread. At least two replicas: a budget of one pod with one
    /// replica would block every node drain.
    /// </summary>
    public static IResourceBuilder<T> PublishWithAutoscaling<T>(
        this IResourceBuilder<T> resource, int minReplicas = 2, int maxReplicas = 4, int cpuUtilizationPercent = 70) where T : IResource
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minReplicas, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplicas, minReplicas);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cpuUtilizationPercent);
        return resource.WithAnnotation(new KubernetesAutoscalingAnnotation(minReplicas, maxReplicas, cpuUtilizationPercent), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Run the container with <paramref name="args"/> in the cluster (the laptop's arguments stay as they are).</summary>
    public static IResourceBuilder<T> PublishWithArgs<T>(this IResourceBuilder<T> resource, params string[] args) where T : IResource =>
        resource.WithAnnotation(new KubernetesArgsAnnotation([.. args]), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>One replica and the Recreate strategy: never two pods at once, not even during an update.</summary>
    public static IResourceBuilder<T> PublishAsSingleton<T>(this IResourceBuilder<T> resource) where T : IResource
    {
        if (resource.Resource.TryGetLastAnnotation<KubernetesAutoscalingAnnotation>(out _))
        {
            throw new InvalidOperationException($"Resource '{resource.Resource.Name}' is autoscaled; a singleton cannot be.");
        }

        return resource.WithAnnotation(new KubernetesSingletonAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>Let the resource's pods reach <paramref name="peer"/> (its NetworkPolicy allows nothing its references do not imply).</summary>
    public static IResourceBuilder<T> PublishWithEgressTo<T>(this IResourceBuilder<T> resource, PlatformPeer peer) where T : IResource =>
        resource.WithAnnotation(new KubernetesPlatformEgressAnnotation(peer), ResourceAnnotationMutationBehavior.Append);

    public static IResourceBuilder<T> WithKubernetesResources<T>(
        this IResourceBuilder<T> resource, string cpu, string memory, string cpuLimit, string memoryLimit) where T : IResource =>
        resource.WithAnnotation(new KubernetesResourcesAnnotation(cpu, memory, cpuLimit, memoryLimit), ResourceAnnotationMutationBehavior.Replace);

    internal static string KubernetesName(this IResource resource) =>
        (resource.Annotations.OfType<KubernetesNameAnnotation>().LastOrDefault()?.Name ?? resource.Name).ToLowerInvariant();

    internal static int? GpuCount(this IResource resource) =>
        resource.Annotations.OfType<GpuRequirementAnnotation>().LastOrDefault()?.Count;
}
