using System.Diagnostics;
using DryWet.AppHost.Publishing;
using DryWet.Tests.AppHost;
using k8s;
using k8s.Models;

namespace DryWet.Tests.Publishing;

public class KubernetesPublishTests
{
    private static readonly string SnapshotDirectory = Path.Combine(RepositoryPaths.Root, "DryWet.Tests", "Publishing", "Snapshots");

    [Fact]
    public async Task Publish_output_matches_the_committed_snapshot()
    {
        var output = await KubernetesPublish.RunAsync();
        var produced = KubernetesPublish.YamlFiles(output).Select(f => Path.GetRelativePath(output, f)).ToList();

        if (RepositoryPaths.UpdateSnapshots)
        {
            if (Directory.Exists(SnapshotDirectory)) Directory.Delete(SnapshotDirectory, recursive: true);
            foreach (var file in produced)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(SnapshotDirectory, file))!);
                File.Copy(Path.Combine(output, file), Path.Combine(SnapshotDirectory, file));
            }
        }

        KubernetesPublish.YamlFiles(SnapshotDirectory).Select(f => Path.GetRelativePath(SnapshotDirectory, f)).ShouldBe(produced,
            "the set of published files changed; update with DRYWET_UPDATE_SNAPSHOTS=true and review the diff");
        foreach (var file in produced)
        {
            File.ReadAllText(Path.Combine(output, file)).ShouldBe(File.ReadAllText(Path.Combine(SnapshotDirectory, file)), $"{file} differs from its snapshot");
        }
    }

    [Fact]
    public async Task Every_core_object_parses_into_its_typed_Kubernetes_model()
    {
        var output = await KubernetesPublish.RunAsync();

        var objects = KubernetesPublish.YamlFiles(output)
            .Where(f => !f.EndsWith("virtualservice.yaml", StringComparison.Ordinal) && !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f)))
            .ToList();

        objects.Select(o => o.GetType().Name).Order().ShouldBe(
            ["V1ConfigMap", "V1ConfigMap", "V1ConfigMap", "V1Deployment", "V1Deployment", "V1Job", "V1Secret", "V1Secret", "V1Secret", "V1Service", "V1Service"]);
        objects.Cast<IKubernetesObject<V1ObjectMeta>>().ShouldAllBe(o => o.Metadata.NamespaceProperty == "kubeflow");
        objects.Cast<IKubernetesObject<V1ObjectMeta>>().ShouldAllBe(o =>
            o.Metadata.Labels["app.kubernetes.io/name"] == "drywet" && o.Metadata.Labels.ContainsKey("app.kubernetes.io/component"));
    }

    [Fact]
    public async Task Serving_is_a_hardened_rolling_deployment_with_probes_resources_and_scraping()
    {
        var output = await KubernetesPublish.RunAsync();
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(File.ReadAllText(Path.Combine(output, "dry-wet-model", "deployment.yaml")));

        deployment.Metadata.Name.ShouldBe("dry-wet-model-deployment");
        deployment.Spec.Strategy.Type.ShouldBe("RollingUpdate");
        var pod = deployment.Spec.Template.Spec;
        pod.SecurityContext.RunAsNonRoot.ShouldBe(true);
        var container = pod.Containers.ShouldHaveSingleItem();
        container.Name.ShouldBe("dry-wet-model");
        container.LivenessProbe.HttpGet.Path.ShouldBe("/alive");
        container.ReadinessProbe.HttpGet.Path.ShouldBe("/health");
        container.LivenessProbe.HttpGet.Port.Value.ShouldBe("http");
        container.ReadinessProbe.HttpGet.Port.Value.ShouldBe("http");
        container.Resources.Requests.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true);
        container.Resources.Limits.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true);
        container.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false);
        container.Ports.ShouldHaveSingleItem().ContainerPort.ShouldBe(5001);
        container.EnvFrom.Select(e => e.ConfigMapRef?.Name ?? e.SecretRef.Name).ShouldBe(["dry-wet-model-config", "dry-wet-model-secrets"]);
        deployment.Spec.Template.Metadata.Annotations["prometheus.io/scrape"].ShouldBe("true");
        deployment.Spec.Template.Metadata.Annotations["prometheus.io/path"].ShouldBe("/metrics");

        var service = KubernetesYaml.Deserialize<V1Service>(File.ReadAllText(Path.Combine(output, "dry-wet-model", "service.yaml")));
        service.Metadata.Name.ShouldBe("dry-wet-model-service");
        service.Spec.Selector.ShouldBe(deployment.Spec.Selector.MatchLabels);
    }

    [Fact]
    public async Task Serving_route_on_the_mlops_gateway_rewrites_the_prefix_to_the_root()
    {
        var output = await KubernetesPublish.RunAsync();

        // Strict: an unknown or misspelt field fails deserialization.
        var yaml = File.ReadAllText(Path.Combine(output, "dry-wet-model", "virtualservice.yaml"));
        var virtualService = KubernetesYaml.Deserialize<IstioVirtualService>(yaml, strict: true);

        virtualService.ApiVersion.ShouldBe("networking.istio.io/v1");
        virtualService.Kind.ShouldBe("VirtualService");
        virtualService.Spec.Gateways.ShouldBe(["istio-system/mlops-gateway"]);
        var route = virtualService.Spec.Http.ShouldHaveSingleItem();
        route.Match.Select(m => m.Uri.Prefix ?? m.Uri.Exact).ShouldBe(["/dry-wet-model/", "/dry-wet-model"]);
        route.Rewrite!.Uri.ShouldBe("/");
        route.Route.ShouldHaveSingleItem().Destination.Host.ShouldBe("dry-wet-model-service.kubeflow.svc.cluster.local");
        route.Route[0].Destination.Port.Number.ShouldBe(5001);
    }

    [Fact]
    public void The_strict_VirtualService_check_rejects_a_misspelt_field()
    {
        const string yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\nspec:\n  hosts: ['*']\n  gateway: [istio-system/mlops-gateway]\n";

        Should.Throw<YamlDotNet.Core.YamlException>(() => KubernetesYaml.Deserialize<IstioVirtualService>(yaml, strict: true));
    }

    [Fact]
    public async Task Trainer_is_a_suspended_Job_with_the_gpu_limit_from_the_AppHost_marker_and_no_Deployment()
    {
        var output = await KubernetesPublish.RunAsync();

        Directory.GetFiles(Path.Combine(output, "dry-wet-model-training")).Select(Path.GetFileName)
            .ShouldBe(["config.yaml", "job.yaml", "secrets.yaml"], ignoreOrder: true);
        var job = KubernetesYaml.Deserialize<V1Job>(File.ReadAllText(Path.Combine(output, "dry-wet-model-training", "job.yaml")));
        job.Spec.Suspend.ShouldBe(true);
        job.Spec.Template.Spec.RestartPolicy.ShouldBe("Never");
        var pod = job.Spec.Template.Spec;
        // The Kubeflow pipeline's steps in one pod: download and train as init containers (in order), upload last.
        pod.InitContainers.Select(c => c.Name).ShouldBe(["download", "train"]);
        pod.Containers.ShouldHaveSingleItem().Args.ShouldBe(["upload", "--model", "/work/model"]);
        var train = pod.InitContainers[1];
        train.Args.ShouldBe(["train", "--config", "config.yaml", "--data", "/work/data", "--output", "/work/model"]);
        train.Resources.Limits["nvidia.com/gpu"].ToString().ShouldBe("1");
        pod.InitContainers[0].Args.ShouldBe(["download", "--output", "/work/data"]);
        pod.InitContainers[0].Resources.Limits.Keys.ShouldNotContain("nvidia.com/gpu");
        pod.Containers[0].Resources.Limits.Keys.ShouldNotContain("nvidia.com/gpu");
        pod.InitContainers.Concat(pod.Containers).ShouldAllBe(c => c.VolumeMounts.Single().MountPath == "/work");
        job.Spec.Template.Spec.Tolerations.ShouldContain(t => t.Key == "nvidia.com/gpu");
    }

    [Fact]
    public async Task Minio_and_mlflow_map_to_the_platform_services_and_no_second_minio_is_deployed()
    {
        var output = await KubernetesPublish.RunAsync();

        Directory.Exists(Path.Combine(output, "minio")).ShouldBeFalse();
        Directory.Exists(Path.Combine(output, "mlflow")).ShouldBeFalse();
        var config = KubernetesYaml.Deserialize<V1ConfigMap>(File.ReadAllText(Path.Combine(output, "dry-wet-model", "config.yaml")));
        config.Data["ConnectionStrings__mlflow"].ShouldBe("http://mlflow-service.mlflow:5000");
        var secret = KubernetesYaml.Deserialize<V1Secret>(File.ReadAllText(Path.Combine(output, "dry-wet-model", "secrets.yaml")));
        secret.StringData["ConnectionStrings__minio"].ShouldBe("Endpoint=http://minio-service.kubeflow:9000;AccessKey=minio;SecretKey=minio123");
        secret.StringData["Serving__AdminApiKey"].ShouldBe(KubernetesPublish.AdminKey);
    }

    [Fact]
    public async Task No_secret_value_appears_outside_a_Secret()
    {
        var output = await KubernetesPublish.RunAsync();
        string[] secretValues = [KubernetesPublish.AdminKey, "minio123"];

        foreach (var file in KubernetesPublish.YamlFiles(output).Where(f => !f.EndsWith("secrets.yaml", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            foreach (var value in secretValues)
            {
                text.ShouldNotContain(value, Case.Sensitive, $"{Path.GetRelativePath(output, file)} contains a secret value");
            }
        }
    }

    [Fact]
    public async Task Namespace_and_endpoints_are_configurable_and_own_services_can_be_deployed_instead()
    {
        var output = await KubernetesPublish.RunAsync(
            "--DryWet:Kubernetes:Namespace=ml", "--DryWet:Kubernetes:UsePlatformServices=false",
            "--Parameters:minio-root-user=admin", "--Parameters:minio-root-password=own-minio-password");

        File.ReadAllText(Path.Combine(output, "kustomization.yaml")).ShouldContain("namespace: ml");
        var minio = KubernetesYaml.Deserialize<V1StatefulSet>(File.ReadAllText(Path.Combine(output, "minio", "statefulset.yaml")));
        minio.Spec.Template.Spec.Containers[0].Image.ShouldBe("docker.io/minio/minio:RELEASE.2025-09-07T16-13-09Z");
        var secret = KubernetesYaml.Deserialize<V1Secret>(File.ReadAllText(Path.Combine(output, "dry-wet-model", "secrets.yaml")));
        secret.StringData["ConnectionStrings__minio"].ShouldBe("Endpoint=http://minio-service:9000;AccessKey=admin;SecretKey=own-minio-password");
        File.ReadAllText(Path.Combine(output, "minio", "config.yaml")).ShouldNotContain("own-minio-password");
    }

    [Fact]
    public async Task Kubectl_kustomize_builds_the_output()
    {
        var output = await KubernetesPublish.RunAsync();

        var (exitCode, stdout, stderr) = await RunAsync("kubectl", "kustomize", output);

        exitCode.ShouldBe(0, stderr);
        stdout.ShouldContain("kind: Deployment");
        stdout.ShouldContain("kind: Job");
        stdout.ShouldContain("kind: VirtualService");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"Could not start {file}; install the kubectl client (1.32).");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }
}
