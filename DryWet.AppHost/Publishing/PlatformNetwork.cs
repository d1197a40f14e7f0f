namespace DryWet.AppHost.Publishing;

/// <summary>
/// Namespaces and pod labels of what the published workloads talk to outside their own objects, as platform/setup.sh
/// installs them (Istio's gateway chart, kube-prometheus-stack, KFP 2.14, DryWet's MLflow). The NetworkPolicies allow
/// exactly these peers; bound as <c>DryWet:Kubernetes:Network:*</c>.
/// </summary>
public sealed class PlatformNetwork
{
    public string GatewayNamespace { get; set; } = "istio-system";

    /// <summary>Label of the Istio ingress gateway pods (the Gateway's selector).</summary>
    public Dictionary<string, string> GatewayPods { get; set; } = new(StringComparer.Ordinal) { ["istio"] = "ingressgateway" };

    public string MonitoringNamespace { get; set; } = "monitoring";

    /// <summary>The Prometheus pods of kube-prometheus-stack (they scrape <c>/metrics</c>).</summary>
    public Dictionary<string, string> PrometheusPods { get; set; } = new(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = "prometheus" };

    public string MinioNamespace { get; set; } = "kubeflow";

    /// <summary>KFP's MinIO pods.</summary>
    public Dictionary<string, string> MinioPods { get; set; } = new(StringComparer.Ordinal) { ["app"] = "minio" };

    public string MlflowNamespace { get; set; } = "mlflow";

    public Dictionary<string, string> MlflowPods { get; set; } = new(StringComparer.Ordinal) { ["app.kubernetes.io/name"] = "mlflow" };

    public string KubeflowNamespace { get; set; } = "kubeflow";

    /// <summary>KFP's API server pods (the watcher submits pipelines there).</summary>
    public Dictionary<string, string> KubeflowApiPods { get; set; } = new(StringComparer.Ordinal) { ["app"] = "ml-pipeline" };

    public int KubeflowApiPort { get; set; } = 8888;

    public string DnsNamespace { get; set; } = "kube-system";

    public Dictionary<string, string> DnsPods { get; set; } = new(StringComparer.Ordinal) { ["k8s-app"] = "kube-dns" };
}
