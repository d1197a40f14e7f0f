namespace DryWet.AppHost.Publishing;

/// <summary>Name used for a resource's Kubernetes objects (<c>&lt;name&gt;-deployment</c>, <c>&lt;name&gt;-service</c>, …).</summary>
public sealed record KubernetesNameAnnotation(string Name) : IResourceAnnotation;

/// <summary>Publish the resource as a run-to-completion batch/v1 Job (suspended until started) instead of a Deployment.</summary>
public sealed record KubernetesJobAnnotation : IResourceAnnotation;

/// <summary>Publish the resource behind the Istio gateway (VirtualService with a prefix rewrite) and scrape its /metrics.</summary>
public sealed record KubernetesGatewayRouteAnnotation(string EndpointName) : IResourceAnnotation;
