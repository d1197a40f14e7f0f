using k8s.Models;

namespace DryWet.Tests.Publishing;

/// <summary>
/// The NetworkPolicies the publish step derives from the app model: each workload may talk to exactly what it
/// references (and the cluster DNS), and be reached only by what references it, the gateway and Prometheus.
/// </summary>
public class PublishedNetworkPolicyTests
{
    private static string Peer(V1NetworkPolicyPeer peer) =>
        peer.IpBlock is { } block
            ? $"ip {block.Cidr} except {string.Join(",", block.Except ?? [])}"
            : $"{peer.NamespaceSelector?.MatchLabels?["kubernetes.io/metadata.name"] ?? "(own)"}/{string.Join(",", peer.PodSelector.MatchLabels.Select(l => $"{l.Key}={l.Value}"))}";

    private static string Ports(IList<V1NetworkPolicyPort> ports) => string.Join(",", ports.Select(p => $"{p.Protocol}:{p.Port.Value}"));

    private static List<string> Egress(V1NetworkPolicy policy) =>
        [.. policy.Spec.Egress.Select(r => $"{string.Join(" ", r.To.Select(Peer))} {Ports(r.Ports)}")];

    private static List<string> Ingress(V1NetworkPolicy policy) =>
        [.. (policy.Spec.Ingress ?? []).Select(r => $"{string.Join(" ", r.FromProperty.Select(Peer))} {Ports(r.Ports)}")];

    private const string Dns = "kube-system/k8s-app=kube-dns UDP:53,TCP:53";
    private const string Minio = "kubeflow/app=minio TCP:9000";
    private const string Mlflow = "mlflow/app.kubernetes.io/name=mlflow TCP:5000";
    private const string Serving = "(own)/app.kubernetes.io/name=drywet,app.kubernetes.io/component=dry-wet-model,app.kubernetes.io/instance=drywet";
    private const string Web = "(own)/app.kubernetes.io/name=drywet,app.kubernetes.io/component=dry-wet-ui,app.kubernetes.io/instance=drywet";

    [Fact]
    public async Task Each_workload_talks_only_to_what_the_app_model_says_it_uses()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        V1NetworkPolicy Load(string folder) => KubernetesObjects.Load<V1NetworkPolicy>(output, folder, "networkpolicy.yaml");

        var serving = Load("dry-wet-model");
        serving.Spec.PolicyTypes.ShouldBe(["Ingress", "Egress"]);
        Ingress(serving).ShouldBe(
        [
            "istio-system/istio=ingressgateway TCP:5001",
            "monitoring/app.kubernetes.io/name=prometheus TCP:5001",
            $"{Web} TCP:5001",
        ]);
        Egress(serving).ShouldBe([Dns, Minio, Mlflow]);

        var web = Load("dry-wet-ui");
        Ingress(web).ShouldBe(["istio-system/istio=ingressgateway TCP:5080", "monitoring/app.kubernetes.io/name=prometheus TCP:5080"]);
        Egress(web).ShouldBe([Dns, $"{Serving} TCP:5001", Minio, Mlflow], ignoreOrder: true);

        var watcher = Load("dry-wet-model-watcher");
        Ingress(watcher).ShouldBeEmpty("nothing calls the watcher");
        Egress(watcher).ShouldBe([Dns, Minio, Mlflow, "kubeflow/app=ml-pipeline TCP:8888"]);

        var training = Load("dry-wet-model-training");
        Ingress(training).ShouldBeEmpty();
        Egress(training).ShouldBe([Dns, Minio, Mlflow, "ip 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,100.64.0.0/10 TCP:443"]);
    }

    [Fact]
    public async Task A_default_deny_covers_every_pod_of_the_app()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        var deny = KubernetesObjects.Load<V1NetworkPolicy>(output, "network", "default-deny.yaml");

        deny.Spec.PodSelector.MatchLabels.ShouldBe(new Dictionary<string, string> { ["app.kubernetes.io/instance"] = "drywet" });
        deny.Spec.PolicyTypes.ShouldBe(["Ingress", "Egress"]);
        deny.Spec.Ingress.ShouldBeNull();
        deny.Spec.Egress.ShouldBeNull();
    }
}
