using System.Globalization;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// How the trainer's <c>watch</c> loop runs in the cluster: one small CPU pod of the trainer image that follows the
/// whole dataset in MinIO's <c>ml-data</c> and, on a new dataset version, submits the Kubeflow training pipeline (whose train step has the GPU
/// and runs the promotion gate) and waits for it. Its own MinIO identity (read-only on ml-data) reaches it by
/// secretKeyRef; its NetworkPolicy lets it reach Kubeflow's API server.
/// </summary>
public static class KubeflowWatcherPublishing
{
    /// <summary>KFP's API server as seen from a pod in the kubeflow namespace.</summary>
    public const string KubeflowHost = "http://ml-pipeline.kubeflow:8888";

    /// <summary>The trainer image's own config; the pipeline's train step reads the same file.</summary>
    public const string ImageConfig = "/app/config.yaml";

    /// <summary>DryWet:Home of the pod (the watcher's scratch: the objects it hashes) on its work volume.</summary>
    public const string Home = "/work/home";

    /// <summary>
    /// The published model's watcher (<c>aspire publish</c> only; on a laptop the watcher trains in-process): the
    /// trainer project as <c>&lt;kubernetesName&gt;-deployment</c>, see <see cref="PublishAsKubeflowWatcher{T}"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddKubeflowWatcher(this IDistributedApplicationBuilder builder, string name,
        DryWetPlatform platform, string trainingImage, int gpus = 1, string kubernetesName = "dry-wet-model-watcher")
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            throw new InvalidOperationException("The Kubeflow watcher is the published model's; on a laptop add the in-process watcher (AddTrainerWatcher).");
        }

        // DryWet:Weights as the trainer's: the watcher hands it on to the train step of every pipeline it submits.
        return builder.AddProject<Projects.DryWet_TrainingWorker>(name)
            .WithWeightsSettings(platform.Settings.Weights)
            .UsePlatform(platform)
            .PublishAsKubernetesName(kubernetesName)
            .PublishAsKubeflowWatcher(trainingImage, gpus);
    }

    /// <summary>
    /// Publishes <paramref name="watcher"/> as a singleton Deployment running
    /// <c>watch --submit-kfp --kubeflow-host … --training-image &lt;image&gt; --gpus N</c>, CPU only.
    /// </summary>
    /// <param name="trainingImage">The trainer image: the watcher's own, and the one the submitted pipeline runs.</param>
    /// <param name="gpus">GPUs of the submitted pipeline's train step (the watcher pod has none).</param>
    public static IResourceBuilder<T> PublishAsKubeflowWatcher<T>(this IResourceBuilder<T> watcher, string trainingImage, int gpus = 1)
        where T : IResourceWithEnvironment
    {
        if (watcher.Resource.Annotations.OfType<GpuRequirementAnnotation>().Any(g => g.Count > 0))
        {
            throw new InvalidOperationException($"Resource '{watcher.Resource.Name}' asks for a GPU; the watcher only submits pipelines, their train step has the GPU.");
        }

        if (watcher.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            watcher.WithEnvironment("DryWet__Home", Home);
        }

        return watcher
            .PublishAsKubernetesImage(trainingImage)
            .PublishAsSingleton()
            .PublishWithEgressTo(PlatformPeer.KubeflowApi)
            .WithAnnotation(new KubernetesWorkVolumeAnnotation(), ResourceAnnotationMutationBehavior.Replace)
            .PublishWithArgs(TrainerArguments.Watch(ImageConfig, DryWetPlatform.DataBucket,
                ["--submit-kfp", "--kubeflow-host", KubeflowHost, "--training-image", trainingImage, "--gpus", gpus.ToString(CultureInfo.InvariantCulture)]))
            // Polling MinIO and KFP every minute: a sliver of a core; the zip is hashed as a stream.
            .WithKubernetesResources(cpu: "50m", memory: "128Mi", cpuLimit: "500m", memoryLimit: "512Mi");
    }
}
