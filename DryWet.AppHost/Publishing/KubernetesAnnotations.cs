namespace DryWet.AppHost.Publishing;

/// <summary>Name used for a resource's Kubernetes objects (<c>&lt;name&gt;-deployment</c>, <c>&lt;name&gt;-service</c>, …).</summary>
public sealed record KubernetesNameAnnotation(string Name) : IResourceAnnotation;

/// <summary>
/// Publish the resource as a run-to-completion batch/v1 Job (suspended until started) instead of a Deployment.
/// <paramref name="Before"/> and <paramref name="After"/> are extra runs of the same image around the resource's own
/// command (the Kubeflow pipeline's download → train → upload): init containers run in order, the last step is the
/// pod's container, all sharing the /work folder. <paramref name="MainStep"/> names the resource's own container.
/// </summary>
public sealed record KubernetesJobAnnotation(string? MainStep, IReadOnlyList<JobStep> Before, IReadOnlyList<JobStep> After) : IResourceAnnotation;

/// <summary>One step of a Job: a container name and the arguments of the resource's image.</summary>
public sealed record JobStep(string Name, IReadOnlyList<string> Args);

/// <summary>
/// Publish the resource behind the Istio gateway and scrape its /metrics: a VirtualService for <paramref name="Prefix"/>
/// (null = <c>DryWet:Kubernetes:RoutePrefix</c>), rewritten to <c>/</c> unless <paramref name="KeepPrefix"/> (an app
/// that builds its links and cookie path from the prefix, like DryWet.Web).
/// </summary>
public sealed record KubernetesGatewayRouteAnnotation(string EndpointName, string? Prefix = null, bool KeepPrefix = false) : IResourceAnnotation;

/// <summary>
/// The image a resource's pods run (e.g. <c>dry_wet_serving:v1.0.0</c>, what platform/build-images.sh tags).
/// Configuration <c>DryWet:Kubernetes:Images:&lt;resource&gt;</c> overrides it at publish time.
/// </summary>
public sealed record KubernetesImageAnnotation(string Image) : IResourceAnnotation;

/// <summary>
/// Scale the resource's Deployment on CPU between <paramref name="MinReplicas"/> and <paramref name="MaxReplicas"/>
/// (HorizontalPodAutoscaler), keep at least one pod through voluntary disruptions (PodDisruptionBudget) and spread
/// the pods over nodes and zones.
/// </summary>
public sealed record KubernetesAutoscalingAnnotation(int MinReplicas, int MaxReplicas, int CpuUtilizationPercent) : IResourceAnnotation;

/// <summary>
/// The arguments the resource's container runs with in the cluster, instead of the ones it runs with on a laptop
/// (e.g. the trainer's watcher: in-process training on a laptop, Kubeflow submission in the cluster).
/// </summary>
public sealed record KubernetesArgsAnnotation(IReadOnlyList<string> Args) : IResourceAnnotation;

/// <summary>
/// Exactly one pod, ever: replicas 1 and the Recreate strategy, so an update stops the old pod before the new one
/// starts. For a loop that must not run twice at once (two watchers would submit every new dataset twice).
/// </summary>
public sealed record KubernetesSingletonAnnotation : IResourceAnnotation;

/// <summary>A writable emptyDir at <c>/work</c> for a Deployment's pod, as a Job's pod has (scratch that lives as long as the pod).</summary>
public sealed record KubernetesWorkVolumeAnnotation : IResourceAnnotation;

/// <summary>A platform peer outside the app model that a workload's NetworkPolicy lets it reach.</summary>
public enum PlatformPeer
{
    /// <summary>Kubeflow Pipelines' API server (the watcher submits runs).</summary>
    KubeflowApi,

    /// <summary>HTTPS to public addresses (no private range): the trainer's pretrained weights.</summary>
    InternetHttps,
}

/// <summary>Egress to <paramref name="Peer"/> in the resource's NetworkPolicy (what its references cannot say).</summary>
public sealed record KubernetesPlatformEgressAnnotation(PlatformPeer Peer) : IResourceAnnotation;
