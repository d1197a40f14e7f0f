using System.Diagnostics;
using DryWet.AppHost.Publishing;
using DryWet.Core;
using DryWet.Tests.AppHost;
using DryWet.Tests.Platform;
using Microsoft.Extensions.Configuration;
using k8s;
using k8s.Models;

namespace DryWet.Tests.Publishing;

public class KubernetesPublishTests
{
    private static readonly string SnapshotDirectory = Path.Combine(RepositoryPaths.Root, "DryWet.Tests", "Publishing", "Snapshots");

    [Fact]
    public async Task Publish_output_matches_the_committed_snapshot()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        var produced = KubernetesPublish.AllFiles(output).Select(f => Path.GetRelativePath(output, f)).ToList();

        Snapshots.MatchFolder(SnapshotDirectory, output, produced);
    }

    [Fact]
    public async Task Every_published_object_passes_a_strict_parse_of_its_kind()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        var objects = KubernetesPublish.YamlFiles(output)
            .Where(f => !f.EndsWith(KubernetesManifestWriter.KustomizationFile, StringComparison.Ordinal))
            .Select(f => KubernetesObjects.ParseStrict(File.ReadAllText(f)))
            .ToList();

        objects.Select(o => o.GetType().Name).Order(StringComparer.Ordinal).ShouldBe(
            ["IstioVirtualService", "IstioVirtualService", "V1ConfigMap", "V1ConfigMap", "V1ConfigMap", "V1ConfigMap", "V1Deployment", "V1Deployment", "V1Deployment", "V1Job",
             "V1NetworkPolicy", "V1NetworkPolicy", "V1NetworkPolicy", "V1NetworkPolicy", "V1NetworkPolicy",
             "V1PodDisruptionBudget", "V1Service", "V1Service", "V2HorizontalPodAutoscaler"]);
        var metadata = objects.Select(o => o is IstioVirtualService vs ? vs.Metadata : ((IMetadata<V1ObjectMeta>)o).Metadata).ToList();
        metadata.ShouldAllBe(m => m.NamespaceProperty == "kubeflow");
        metadata.ShouldAllBe(m => m.Labels["app.kubernetes.io/name"] == "drywet" && m.Labels.ContainsKey("app.kubernetes.io/component"));
    }

    [Fact]
    public void The_strict_parse_rejects_a_misspelt_field()
    {
        const string deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replica: 2\n";
        const string virtualService = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\nspec:\n  hosts: ['*']\n  gateway: [istio-system/mlops-gateway]\n";

        Should.Throw<YamlDotNet.Core.YamlException>(() => KubernetesObjects.ParseStrict(deployment));
        Should.Throw<YamlDotNet.Core.YamlException>(() => KubernetesObjects.ParseStrict(virtualService));
    }

    [Fact]
    public async Task Serving_is_a_hardened_rolling_deployment_with_probes_resources_and_scraping()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        var deployment = KubernetesObjects.Load<V1Deployment>(output, "dry-wet-model", "deployment.yaml");

        deployment.Metadata.Name.ShouldBe("dry-wet-model-deployment");
        deployment.Spec.Strategy.Type.ShouldBe("RollingUpdate");
        var pod = deployment.Spec.Template.Spec;
        pod.SecurityContext.RunAsNonRoot.ShouldBe(true);
        pod.AutomountServiceAccountToken.ShouldBe(false, "serving never talks to the Kubernetes API");
        var container = pod.Containers.ShouldHaveSingleItem();
        container.Name.ShouldBe("dry-wet-model");
        container.Image.ShouldBe("dry_wet_serving:v1.0.0");
        container.LivenessProbe.HttpGet.Path.ShouldBe("/alive");
        container.ReadinessProbe.HttpGet.Path.ShouldBe("/health");
        container.LivenessProbe.HttpGet.Port.Value.ShouldBe("http");
        container.ReadinessProbe.HttpGet.Port.Value.ShouldBe("http");
        container.Resources.Requests.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true);
        container.Resources.Limits.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true);
        container.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false);
        container.SecurityContext.ReadOnlyRootFilesystem.ShouldBe(true);
        // What must stay writable: temp files and the app user's home (ASP.NET's keys, DryWet's model cache).
        container.VolumeMounts.Select(m => m.MountPath).ShouldBe(["/tmp", "/home/app"]);
        pod.Volumes.ShouldAllBe(v => v.EmptyDir != null);
        container.Ports.ShouldHaveSingleItem().ContainerPort.ShouldBe(5001);
        container.EnvFrom.ShouldHaveSingleItem().ConfigMapRef.Name.ShouldBe("dry-wet-model-config");
        deployment.Spec.Template.Metadata.Annotations["prometheus.io/scrape"].ShouldBe("true");
        deployment.Spec.Template.Metadata.Annotations["prometheus.io/path"].ShouldBe("/metrics");

        var service = KubernetesObjects.Load<V1Service>(output, "dry-wet-model", "service.yaml");
        service.Metadata.Name.ShouldBe("dry-wet-model-service");
        service.Spec.Selector.ShouldBe(deployment.Spec.Selector.MatchLabels);
    }

    [Fact]
    public async Task Serving_route_on_the_mlops_gateway_rewrites_the_prefix_to_the_root()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        var virtualService = KubernetesObjects.Load<IstioVirtualService>(output, "dry-wet-model", "virtualservice.yaml");

        virtualService.ApiVersion.ShouldBe("networking.istio.io/v1");
        virtualService.Kind.ShouldBe("VirtualService");
        virtualService.Spec.Gateways.ShouldBe(["istio-system/mlops-gateway"]);
        var route = virtualService.Spec.Http.ShouldHaveSingleItem();
        route.Match.Select(m => m.Uri.Prefix ?? m.Uri.Exact).ShouldBe(["/dry-wet-model/", "/dry-wet-model"]);
        route.Rewrite!.Uri.ShouldBe("/");
        route.Headers!.Request!.Set!["X-Forwarded-Proto"].ShouldBe("https", "the gateway serves it over HTTPS only");
        route.Route.ShouldHaveSingleItem().Destination.Host.ShouldBe("dry-wet-model-service.kubeflow.svc.cluster.local");
        route.Route[0].Destination.Port.Number.ShouldBe(5001);
    }

    [Fact]
    public async Task Trainer_is_a_suspended_Job_with_the_gpu_limit_from_the_AppHost_marker_and_no_Deployment()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        Directory.GetFiles(Path.Combine(output, "dry-wet-model-training")).Select(Path.GetFileName)
            .ShouldBe(["config.yaml", "job.yaml", "networkpolicy.yaml"], ignoreOrder: true);
        var job = KubernetesObjects.Load<V1Job>(output, "dry-wet-model-training", "job.yaml");
        job.Spec.Suspend.ShouldBe(true);
        job.Spec.Template.Spec.RestartPolicy.ShouldBe("Never");
        var pod = job.Spec.Template.Spec;
        // The Kubeflow pipeline's steps in one pod: download and train as init containers (in order), upload last.
        pod.InitContainers.Select(c => c.Name).ShouldBe(["download", "train"]);
        pod.Containers.ShouldHaveSingleItem().Args.ShouldBe(["upload", "--model", "/work/model"]);
        var train = pod.InitContainers[1];
        train.Image.ShouldBe("dry_wet_train:v1.0.0");
        train.Args.ShouldBe(["train", "--config", "config.yaml", "--data", "/work/data", "--output", "/work/model"]);
        train.Resources.Limits["nvidia.com/gpu"].ToString().ShouldBe("1");
        pod.InitContainers[0].Args.ShouldBe(["download", "--output", "/work/data"]);
        pod.InitContainers[0].Resources.Limits.Keys.ShouldNotContain("nvidia.com/gpu");
        pod.Containers[0].Resources.Limits.Keys.ShouldNotContain("nvidia.com/gpu");
        pod.InitContainers.Concat(pod.Containers).ShouldAllBe(c => c.VolumeMounts.Any(m => m.MountPath == "/work") && c.SecurityContext.ReadOnlyRootFilesystem == true);
        // Every step reaches MinIO as the trainer's own user (ml-data read, ml-models/mlflow write).
        pod.InitContainers.Concat(pod.Containers).ShouldAllBe(c => c.Env.Any(e => e.Name == "ConnectionStrings__minio"));
        pod.InitContainers[0].Env[0].ValueFrom.SecretKeyRef.Name.ShouldBe("drywet-minio-trainer");
        job.Spec.Template.Spec.Tolerations.ShouldContain(t => t.Key == "nvidia.com/gpu");
    }

    [Fact]
    public async Task The_watcher_is_one_cpu_pod_that_submits_the_kubeflow_pipeline_with_its_own_minio_identity()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        Directory.GetFiles(Path.Combine(output, "dry-wet-model-watcher")).Select(Path.GetFileName)
            .ShouldBe(["config.yaml", "deployment.yaml", "networkpolicy.yaml"], ignoreOrder: true, "no endpoint, so no Service");
        var deployment = KubernetesObjects.Load<V1Deployment>(output, "dry-wet-model-watcher", "deployment.yaml");
        deployment.Metadata.Name.ShouldBe("dry-wet-model-watcher-deployment");
        deployment.Spec.Replicas.ShouldBe(1);
        deployment.Spec.Strategy.Type.ShouldBe("Recreate", "two watchers would submit every new dataset twice");
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.ShouldHaveSingleItem();
        var trainerImage = KubernetesObjects.Load<V1Job>(output, "dry-wet-model-training", "job.yaml").Spec.Template.Spec.Containers[0].Image;
        container.Image.ShouldBe(trainerImage);
        container.Args.ShouldBe(["watch", "--config", "/app/config.yaml", "--bucket", "ml-data",
            "--submit-kfp", "--kubeflow-host", "http://ml-pipeline.kubeflow:8888", "--training-image", trainerImage, "--gpus", "1"]);

        // The trainer's own watch command accepts exactly these arguments.
        var root = new System.CommandLine.RootCommand();
        foreach (var command in DryWet.TrainingWorker.Commands.TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        root.Parse([.. container.Args]).Errors.ShouldBeEmpty();

        // CPU only: the submitted pipeline's train step has the GPU.
        container.Resources.Limits.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true);
        container.Resources.Requests["cpu"].ToString().ShouldBe("50m");
        pod.Tolerations.ShouldBeNull();
        pod.SecurityContext.RunAsNonRoot.ShouldBe(true);
        container.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false);

        // Its own MinIO user (read-only on ml-data) and MLflow's credentials, read from Secrets; no value in the manifest.
        container.Env.Select(e => e.Name).ShouldBe(
        [
            "SECRET_DRYWET_MINIO_WATCHER_ACCESSKEY", "SECRET_DRYWET_MINIO_WATCHER_SECRETKEY",
            "SECRET_DRYWET_MLFLOW_CREDENTIALS_PASSWORD", "SECRET_DRYWET_MLFLOW_CREDENTIALS_USERNAME",
            "ConnectionStrings__minio", "ConnectionStrings__mlflow",
        ]);
        container.Env[0].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-minio-watcher"), r => r.Key.ShouldBe("accesskey"));
        container.Env[1].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-minio-watcher"), r => r.Key.ShouldBe("secretkey"));
        container.Env[4].Value.ShouldBe("Endpoint=http://minio-service.kubeflow:9000;AccessKey=$(SECRET_DRYWET_MINIO_WATCHER_ACCESSKEY);SecretKey=$(SECRET_DRYWET_MINIO_WATCHER_SECRETKEY)");
        container.Env[5].Value.ShouldBe("Endpoint=http://mlflow-service.mlflow.svc.cluster.local:5000;Username=$(SECRET_DRYWET_MLFLOW_CREDENTIALS_USERNAME);Password=$(SECRET_DRYWET_MLFLOW_CREDENTIALS_PASSWORD)");

        // DryWet:Home on the pod's writable scratch volume (the image's root filesystem is read-only).
        var config = KubernetesObjects.Load<V1ConfigMap>(output, "dry-wet-model-watcher", "config.yaml");
        config.Data["DryWet__Home"].ShouldBe("/work/home");
        config.Data.Keys.ShouldNotContain("ConnectionStrings__mlflow", "it carries credentials, so it is assembled in the pod");
        container.VolumeMounts.Select(m => m.MountPath).ShouldBe(["/tmp", "/home/app", "/work"]);
        pod.Volumes.ShouldAllBe(v => v.EmptyDir != null);
    }

    [Fact]
    public async Task Each_workload_reads_its_own_minio_identity_and_mlflows_credentials_from_Secrets_assembled_in_the_pod()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        Directory.Exists(Path.Combine(output, "minio")).ShouldBeFalse();
        Directory.Exists(Path.Combine(output, "mlflow")).ShouldBeFalse();
        var config = KubernetesObjects.Load<V1ConfigMap>(output, "dry-wet-model", "config.yaml");
        config.Data.Keys.ShouldNotContain("ConnectionStrings__minio");
        config.Data.Keys.ShouldNotContain("ConnectionStrings__mlflow");

        var env = KubernetesObjects.Load<V1Deployment>(output, "dry-wet-model", "deployment.yaml").Spec.Template.Spec.Containers[0].Env;
        env.Select(e => e.Name).ShouldBe(
        [
            "SECRET_DRYWET_MINIO_SERVING_ACCESSKEY", "SECRET_DRYWET_MINIO_SERVING_SECRETKEY",
            "SECRET_DRYWET_MLFLOW_CREDENTIALS_PASSWORD", "SECRET_DRYWET_MLFLOW_CREDENTIALS_USERNAME",
            "ConnectionStrings__minio", "ConnectionStrings__mlflow", "Serving__AdminApiKey",
        ]);
        env[0].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-minio-serving"), r => r.Key.ShouldBe("accesskey"));
        env[1].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-minio-serving"), r => r.Key.ShouldBe("secretkey"));
        env[2].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-mlflow-credentials"), r => r.Key.ShouldBe("password"));
        env[3].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-mlflow-credentials"), r => r.Key.ShouldBe("username"));
        // Kubernetes expands $(NAME) from variables defined earlier in the list.
        env[4].Value.ShouldBe("Endpoint=http://minio-service.kubeflow:9000;AccessKey=$(SECRET_DRYWET_MINIO_SERVING_ACCESSKEY);SecretKey=$(SECRET_DRYWET_MINIO_SERVING_SECRETKEY)");
        env[5].Value.ShouldBe("Endpoint=http://mlflow-service.mlflow.svc.cluster.local:5000;Username=$(SECRET_DRYWET_MLFLOW_CREDENTIALS_USERNAME);Password=$(SECRET_DRYWET_MLFLOW_CREDENTIALS_PASSWORD)");
        env[6].ValueFrom.SecretKeyRef.ShouldSatisfyAllConditions(r => r.Name.ShouldBe("drywet-secrets"), r => r.Key.ShouldBe("serving-admin-key"));

        // Every other workload its own user: no two share MinIO keys, none gets the root keys.
        var identities = new Dictionary<string, string>();
        foreach (var (folder, file) in new[] { ("dry-wet-ui", "deployment.yaml"), ("dry-wet-model-watcher", "deployment.yaml"), ("dry-wet-model", "deployment.yaml"), ("dry-wet-model-training", "job.yaml") })
        {
            var yaml = File.ReadAllText(Path.Combine(output, folder, file));
            yaml.ShouldNotContain("mlpipeline-minio-artifact");
            identities[folder] = System.Text.RegularExpressions.Regex.Match(yaml, "name: (drywet-minio-[a-z]+)").Groups[1].Value;
        }

        identities.Values.ShouldBe(["drywet-minio-web", "drywet-minio-watcher", "drywet-minio-serving", "drywet-minio-trainer"]);
    }

    [Fact]
    public async Task A_workload_without_a_minio_identity_is_refused_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("DryWet:Kubernetes:MinioSecrets:web", "")]).Build();
        var options = KubernetesPublishOptions.From(configuration);

        Should.Throw<InvalidOperationException>(() => options.MinioSecretFor("web")).Message.ShouldContain("DryWet:Kubernetes:MinioSecrets:web names no Secret");
        options.MinioSecretFor("serving").ShouldBe("drywet-minio-serving");
        // The publish step fails rather than falling back to the root keys: nothing is written.
        string? failure = null;
        try
        {
            using var unexpected = await KubernetesPublish.RunAsync("--DryWet:Kubernetes:MinioSecrets:web=");
        }
        catch (ShouldAssertException e)
        {
            failure = e.Message;
        }

        failure.ShouldNotBeNull().ShouldContain("wrote no kustomization.yaml");
    }

    [Fact]
    public async Task No_generated_default_or_given_secret_value_is_written_anywhere()
    {
        // Default settings with no parameter given (generated keys), and with every secret given on the command line.
        using var generated = await KubernetesPublish.RunWithValuesAsync();
        using var given = await KubernetesPublish.RunWithValuesAsync(
            $"--Parameters:serving-admin-key={KubernetesPublish.AdminKey}", "--DryWet:Kubernetes:UsePlatformServices=false",
            "--Parameters:minio-root-user=own-minio-user", "--Parameters:minio-root-password=own-minio-password");

        generated.SecretValues.Count.ShouldBeGreaterThanOrEqualTo(3, "the model's secret parameters (admin key, MinIO user and password) have values");
        given.SecretValues.ShouldContain(KubernetesPublish.AdminKey);
        given.SecretValues.ShouldContain("own-minio-password");
        foreach (var output in new[] { generated, given })
        {
            // Plain, base64 (a Secret's data) or URL-encoded: none anywhere.
            string[] secrets = [.. output.SecretValues, .. DryWet.Tests.Security.ClusterSecurityTests.WellKnownPasswords, "minioadmin"];
            foreach (var file in KubernetesPublish.AllFiles(output.Directory))
            {
                DryWet.Tests.Security.SecretScanner.Find(File.ReadAllText(file), secrets)
                    .ShouldBeEmpty($"{Path.GetRelativePath(output.Directory, file)} contains a secret value");
            }
        }
    }

    [Fact]
    public async Task Secret_parameters_become_keys_of_the_user_Secret_listed_in_env_example()
    {
        using var output = await KubernetesPublish.RunWithValuesAsync("--DryWet:Kubernetes:UsePlatformServices=false");

        // Commented out: a copy nobody filled in leaves the keys out, and the pods fail to start instead of running without them.
        var example = output.Read(".env.example");
        example.ShouldContain("\n#serving-admin-key=\n");
        example.ShouldContain("\n#minio-root-user=\n");
        example.ShouldContain("\n#minio-root-password=\n");
        example.ShouldContain("# serving-admin-key: read by dry-wet-model: Serving__AdminApiKey");
        example.Split('\n').ShouldAllBe(line => line.Length == 0 || line.StartsWith('#'));
        output.Read(".gitignore").Split('\n').ShouldContain(".env");
        var kustomization = output.Read("kustomization.yaml");
        kustomization.ShouldContain("secretGenerator:\n- name: drywet-secrets\n  envs:\n  - .env\n");
    }

    [Fact]
    public async Task Namespace_and_endpoints_are_configurable_and_own_services_can_be_deployed_instead()
    {
        using var published = await KubernetesPublish.RunAsync("--DryWet:Kubernetes:Namespace=ml", "--DryWet:Kubernetes:UsePlatformServices=false");
        var output = published.Directory;

        File.ReadAllText(Path.Combine(output, "kustomization.yaml")).ShouldContain("namespace: ml");
        var minio = KubernetesObjects.Load<V1StatefulSet>(output, "minio", "statefulset.yaml");
        var minioContainer = minio.Spec.Template.Spec.Containers[0];
        minioContainer.Image.ShouldBe("docker.io/minio/minio:RELEASE.2025-09-07T16-13-09Z");
        minioContainer.Env.Single(e => e.Name == "MINIO_ROOT_PASSWORD").ValueFrom.SecretKeyRef.Key.ShouldBe("minio-root-password");
        var env = KubernetesObjects.Load<V1Deployment>(output, "dry-wet-model", "deployment.yaml").Spec.Template.Spec.Containers[0].Env;
        env.Single(e => e.Name == "ConnectionStrings__minio").Value.ShouldBe(
            "Endpoint=http://minio-service:9000;AccessKey=$(SECRET_DRYWET_SECRETS_MINIO_ROOT_USER);SecretKey=$(SECRET_DRYWET_SECRETS_MINIO_ROOT_PASSWORD)");
        KubernetesObjects.Load<V1ConfigMap>(output, "dry-wet-model", "config.yaml").Data["ConnectionStrings__mlflow"].ShouldBe("http://mlflow-service:5000");
        // The app's own MinIO runs restricted too (non-root, read-only root filesystem, its data on a volume).
        minio.Spec.Template.Spec.SecurityContext.RunAsNonRoot.ShouldBe(true);
        minioContainer.SecurityContext.ReadOnlyRootFilesystem.ShouldBe(true);
        minioContainer.VolumeMounts.Select(m => m.MountPath).ShouldContain("/data");
    }

    [Fact]
    public void A_misspelt_publish_setting_is_an_error_naming_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("DryWet:Kubernetes:Namespase", "ml")]).Build();

        var error = Should.Throw<DryWetException>(() => KubernetesPublishOptions.From(configuration));

        error.Message.ShouldContain("DryWet:Kubernetes:Namespase");
        error.Message.ShouldContain("did you mean 'Namespace'");
    }

    [Fact]
    public async Task Kubectl_kustomize_builds_the_output_with_the_users_Secret_generated_from_env()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;
        // The documented step: printf 'serving-admin-key=%s\n' "$(openssl rand -hex 24)" > k8s/.env
        File.WriteAllText(Path.Combine(output, SecretMapper.EnvFile), "serving-admin-key=deploy-time-key\n");

        var (exitCode, stdout, stderr) = await RunAsync("kubectl", "kustomize", output);

        exitCode.ShouldBe(0, stderr);
        var objects = KubernetesYaml.LoadAllFromString(stdout, new Dictionary<string, Type> { ["networking.istio.io/v1/VirtualService"] = typeof(IstioVirtualService) });
        var secret = objects.OfType<V1Secret>().ShouldHaveSingleItem();
        secret.Metadata.Name.ShouldStartWith("drywet-secrets-");
        secret.Data.Keys.ShouldBe(["serving-admin-key"]);
        // kustomize renames the generated Secret (content hash) and every reference to it: a new key rolls the pods.
        var serving = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "dry-wet-model-deployment").Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "Serving__AdminApiKey");
        serving.ValueFrom.SecretKeyRef.Name.ShouldBe(secret.Metadata.Name);
        var web = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "dry-wet-ui-deployment").Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "Web__AdminApiKey");
        web.ValueFrom.SecretKeyRef.Name.ShouldBe(secret.Metadata.Name);
        objects.OfType<V1Job>().ShouldHaveSingleItem();
        stdout.ShouldContain("kind: VirtualService");
    }

    [Fact]
    public async Task Kubectl_kustomize_refuses_the_output_until_env_exists()
    {
        using var published = await KubernetesPublish.RunAsync();
        var output = published.Directory;

        var (exitCode, _, stderr) = await RunAsync("kubectl", "kustomize", output);

        exitCode.ShouldBe(1, stderr);
        stderr.ShouldContain(".env");
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
