using System.Text.Json.Nodes;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Security;

/// <summary>
/// Every Kubernetes object DryWet applies (the publish output, every platform kustomization) is valid against the
/// OpenAPI definitions of the pinned Kubernetes version; Istio and Prometheus-operator resources have their own
/// validators (IstioResourceValidator, PrometheusRuleValidator).
/// </summary>
public class KubernetesSchemaTests
{
    [Fact]
    public async Task Every_object_is_valid_against_the_pinned_kubernetes_openapi_definitions()
    {
        var objects = await ClusterManifests.AllAsync();
        var core = objects.Where(o => !o.ApiVersion.Contains(".istio.io/", StringComparison.Ordinal) && !o.ApiVersion.StartsWith("monitoring.coreos.com/", StringComparison.Ordinal)).ToList();

        core.Count.ShouldBeGreaterThan(20);
        foreach (var o in core)
        {
            KubernetesSchemaValidator.Pinned.Validate(o.Node).ShouldBeEmpty(o.ToString());
        }
    }

    [Fact]
    public void The_pin_is_the_one_in_config_yaml()
    {
        var config = YamlToJson.LoadAll(File.ReadAllText(RepositoryPaths.Combine("platform", "config.yaml")))[0]!;

        config["versions"]!["kubernetes"]!.GetValue<string>().ShouldBe(KubernetesSchemaValidator.Version);
    }

    [Fact]
    public void The_validator_rejects_an_unknown_field_a_wrong_type_and_a_missing_required_field()
    {
        var deployment = (JsonObject)YamlToJson.LoadAll("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: x}
            spec:
              replicas: "two"
              selector: {matchLabels: {app: x}}
              template:
                metadata: {labels: {app: x}}
                spec:
                  containers:
                    - image: x:1
                      imagePullPolicyy: IfNotPresent
                      resources: {limits: {cpu: 2, memory: 1Gi}}
                      ports: [{containerPort: 80}]
            """)[0]!;

        KubernetesSchemaValidator.Pinned.Validate(deployment).ShouldBe(
        [
            "Deployment.spec.replicas: expected an integer, found string \"two\"",
            "Deployment.spec.template.spec.containers[0]: unknown field 'imagePullPolicyy'",
            "Deployment.spec.template.spec.containers[0]: required field 'name' is missing",
        ]);
    }

    [Fact]
    public void A_kind_the_pinned_version_does_not_have_is_an_error()
    {
        var old = (JsonObject)YamlToJson.LoadAll("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n")[0]!;

        KubernetesSchemaValidator.Pinned.Validate(old).ShouldHaveSingleItem().ShouldContain("is not a kind of Kubernetes v1.32.0");
    }
}
