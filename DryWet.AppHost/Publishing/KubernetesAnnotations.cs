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

/// <summary>Publish the resource behind the Istio gateway (VirtualService with a prefix rewrite) and scrape its /metrics.</summary>
public sealed record KubernetesGatewayRouteAnnotation(string EndpointName) : IResourceAnnotation;
