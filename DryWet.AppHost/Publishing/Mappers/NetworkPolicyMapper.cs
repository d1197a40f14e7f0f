using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// networking.k8s.io/v1 NetworkPolicy <c>&lt;name&gt;-network</c> per workload, from the app model: ingress from the
/// resources that reference it (web → serving), from the gateway and Prometheus when it is published behind the
/// gateway; egress to what it references (published resources, the platform's MinIO and MLflow), to the platform
/// peers its annotations name (the watcher's Kubeflow API) and to the cluster DNS. Nothing else.
/// </summary>
public sealed class NetworkPolicyMapper(IReadOnlyList<KubernetesResourceContext> contexts, PlatformServices platform, KubernetesPublishOptions options)
{
    private const string ReferenceRelationship = "Reference";
    private const string NamespaceLabel = "kubernetes.io/metadata.name";

    /// <summary>Selects every pod of the app and allows nothing: a pod no other policy selects is cut off.</summary>
    public V1NetworkPolicy DefaultDeny() => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta
        {
            Name = $"{options.AppName}-default-deny",
            NamespaceProperty = options.Namespace,
            Labels = new Dictionary<string, string>
            {
                ["app.kubernetes.io/name"] = options.AppName,
                ["app.kubernetes.io/component"] = "default-deny",
                ["app.kubernetes.io/instance"] = options.AppName,
            },
        },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/instance"] = options.AppName } },
            PolicyTypes = ["Ingress", "Egress"],
        },
    };

    public V1NetworkPolicy ToNetworkPolicy(KubernetesResourceContext context) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = context.Metadata($"{context.Name}-network"),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(context.Labels) },
            PolicyTypes = ["Ingress", "Egress"],
            Ingress = Ingress(context),
            Egress = Egress(context),
        },
    };

    private List<V1NetworkPolicyIngressRule> Ingress(KubernetesResourceContext context)
    {
        var rules = new List<V1NetworkPolicyIngressRule>();
        if (context.Resource.TryGetLastAnnotation<KubernetesGatewayRouteAnnotation>(out var route))
        {
            var port = Ports(EndpointPorts.ContainerPort(context.Endpoint(route.EndpointName)));
            var network = options.Network;
            rules.Add(new() { FromProperty = [Peer(network.GatewayNamespace, network.GatewayPods)], Ports = port });
            // Scraped on the same port (prometheus.io/* annotations on the pod).
            rules.Add(new() { FromProperty = [Peer(network.MonitoringNamespace, network.PrometheusPods)], Ports = port });
        }

        foreach (var caller in contexts.Where(c => References(c.Resource).Contains(context.Resource)))
        {
            rules.Add(new()
            {
                FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(caller.Labels) } }],
                Ports = Ports([.. context.Endpoints.Select(EndpointPorts.ContainerPort)]),
            });
        }

        return rules;
    }

    private List<V1NetworkPolicyEgressRule> Egress(KubernetesResourceContext context)
    {
        var network = options.Network;
        var rules = new List<V1NetworkPolicyEgressRule>
        {
            new()
            {
                To = [Peer(network.DnsNamespace, network.DnsPods)],
                Ports = [new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 }],
            },
        };

        foreach (var target in References(context.Resource).Distinct())
        {
            if (platform.Hosts(target))
            {
                var (ns, pods) = target is MinioResource ? (network.MinioNamespace, network.MinioPods) : (network.MlflowNamespace, network.MlflowPods);
                rules.Add(new() { To = [Peer(ns, pods)], Ports = Ports(platform.Endpoint(target).Port) });
            }
            else if (contexts.FirstOrDefault(c => ReferenceEquals(c.Resource, target)) is { Endpoints.Count: > 0 } callee)
            {
                rules.Add(new()
                {
                    To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(callee.Labels) } }],
                    Ports = Ports([.. callee.Endpoints.Select(EndpointPorts.ContainerPort)]),
                });
            }
        }

        foreach (var egress in context.Resource.Annotations.OfType<KubernetesPlatformEgressAnnotation>())
        {
            rules.Add(egress.Peer switch
            {
                PlatformPeer.KubeflowApi => new() { To = [Peer(network.KubeflowNamespace, network.KubeflowApiPods)], Ports = Ports(network.KubeflowApiPort) },
                // Public hosts only (pretrained weights): no private range, so nothing in the cluster is reachable this way.
                PlatformPeer.InternetHttps => new()
                {
                    To = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0", Except = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } }],
                    Ports = Ports(443),
                },
                _ => throw new InvalidOperationException($"Unknown platform peer {egress.Peer} on '{context.Resource.Name}'."),
            });
        }

        return rules;
    }

    private static IEnumerable<IResource> References(IResource resource) =>
        resource.Annotations.OfType<ResourceRelationshipAnnotation>().Where(r => r.Type == ReferenceRelationship).Select(r => r.Resource);

    /// <summary>Pods with <paramref name="pods"/> labels in namespace <paramref name="ns"/>.</summary>
    private static V1NetworkPolicyPeer Peer(string ns, IReadOnlyDictionary<string, string> pods) => new()
    {
        NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [NamespaceLabel] = ns } },
        PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(pods) },
    };

    private static List<V1NetworkPolicyPort> Ports(params int[] ports) =>
        [.. ports.Distinct().Select(p => new V1NetworkPolicyPort { Protocol = "TCP", Port = p })];
}
