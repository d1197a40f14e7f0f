using System.Text.RegularExpressions;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Publishing;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Tests.Pipelines;
using DryWet.TrainingWorker.Pipelines;
using k8s;
using k8s.Models;

namespace DryWet.Tests.Platform;

/// <summary>
/// The laptop (DryWet.AppHost) and the cluster (platform/) run one MLflow: the same pinned image, no package
/// installation at start, and an --allowed-hosts list that lets every in-cluster caller through MLflow ≥ 3.5's
/// Host check (403 "Invalid Host header" otherwise; reference/mlflow-observed.md).
/// </summary>
public class OneMlflowTests
{
    private static async Task<System.Text.Json.Nodes.JsonNode> ConfigAsync() =>
        YamlToJson.LoadAll(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "config.yaml"), TestContext.Current.CancellationToken))[0]!;

    private static string[] PlatformAllowedHosts(System.Text.Json.Nodes.JsonNode config) =>
        [.. config["mlflow"]!["allowed_hosts"]!.AsArray().Select(h => h!.GetValue<string>())];

    /// <summary>MLflow's rule: fnmatch when the pattern has '*', else equality (mlflow/server/security_utils.py).</summary>
    private static bool Allows(IEnumerable<string> patterns, string host) => patterns.Any(p => p.Contains('*', StringComparison.Ordinal)
        ? Regex.IsMatch(host, "^" + Regex.Escape(p).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\[", "[", StringComparison.Ordinal) + "$")
        : p == host);

    [Fact]
    public async Task Laptop_and_cluster_pin_the_same_full_mlflow_image()
    {
        var config = await ConfigAsync();

        config["images"]!["mlflow"]!.GetValue<string>().ShouldBe($"{MlflowExtensions.Registry}/{MlflowExtensions.Image}:{MlflowExtensions.Tag}",
            "platform/config.yaml images.mlflow and DryWet.AppHost's MlflowExtensions must name one image");
        MlflowExtensions.Tag.ShouldEndWith("-full", Case.Sensitive, "the -full image carries boto3 for the s3:// artifact store");
        config["images"]!.AsObject().Select(p => p.Key).ShouldNotContain("mlflow_extra_pip");
    }

    [Fact]
    public async Task Laptop_and_cluster_allow_the_same_hosts()
    {
        PlatformAllowedHosts(await ConfigAsync()).ShouldBe(MlflowExtensions.AllowedHosts,
            "platform/config.yaml mlflow.allowed_hosts and MlflowExtensions.AllowedHosts must be equal");
    }

    [Theory]
    [InlineData("mlflow-service.mlflow.svc.cluster.local:5000")] // the pipeline, the published app
    [InlineData("mlflow-service.mlflow.svc.cluster.local")]
    [InlineData("mlflow-service.mlflow:5000")]
    [InlineData("localhost:5000")] // the laptop, kubectl port-forward
    [InlineData("10.96.12.7")] // the gateway by its (tunnel) IP, no port
    [InlineData("192.168.49.2:80")]
    [InlineData("172.17.0.1")]
    public void Every_caller_passes_the_host_check(string host) => Allows(MlflowExtensions.AllowedHosts, host).ShouldBeTrue(host);

    [Theory]
    [InlineData("evil.example.com")]
    [InlineData("172.32.0.1")] // not private
    [InlineData("mlflow-service.mlflow.svc.cluster.local.evil.example.com")]
    public void A_foreign_host_is_still_refused(string host) => Allows(MlflowExtensions.AllowedHosts, host).ShouldBeFalse(host);

    [Fact]
    public void The_names_the_publish_step_and_the_pipeline_use_are_allowed()
    {
        foreach (var endpoint in new[] { new KubernetesPublishOptions().MlflowEndpoint, new TrainingPipelineSettings().MlflowTrackingUri })
        {
            var uri = new Uri(endpoint);
            Allows(MlflowExtensions.AllowedHosts, uri.Authority).ShouldBeTrue(uri.Authority);
        }
    }

    [Fact]
    public async Task The_cluster_mlflow_installs_nothing_at_start_and_passes_allowed_hosts_from_config()
    {
        var yaml = await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "manifests", "mlflow", "deployment.yaml"), TestContext.Current.CancellationToken);
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(yaml, strict: true);

        var pod = deployment.Spec.Template.Spec;
        pod.InitContainers.ShouldBeNull();
        yaml.ShouldNotContain("pip", Case.Insensitive);
        var container = pod.Containers.ShouldHaveSingleItem();
        container.Image.ShouldBe($"{MlflowExtensions.Registry}/{MlflowExtensions.Image}:{MlflowExtensions.Tag}");
        container.Command[container.Command.IndexOf("--allowed-hosts") + 1].ShouldBe("$(MLFLOW_SERVER_ALLOWED_HOSTS)");
        var allowed = container.Env.Single(e => e.Name == "MLFLOW_SERVER_ALLOWED_HOSTS").ValueFrom.ConfigMapKeyRef;
        (allowed.Name, allowed.Key).ShouldBe(("mlflow-config", "allowed_hosts"));
    }

    [Fact]
    public async Task The_laptop_mlflow_gets_the_same_allowed_hosts()
    {
        var builder = Aspire.Hosting.DistributedApplication.CreateBuilder(["--operation", "publish"]);
        var minio = builder.AddMinio("minio");
        var mlflow = builder.AddMlflow("mlflow", minio).Resource;

        var args = await DryWet.Tests.AppHost.AppHostModel.PublishedArgsAsync(mlflow);

        args[Array.IndexOf(args, "--allowed-hosts") + 1].ShouldBe(string.Join(',', MlflowExtensions.AllowedHosts));
    }
}
