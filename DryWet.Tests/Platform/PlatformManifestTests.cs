using System.Text.Json.Nodes;
using DryWet.Tests.Pipelines;
using k8s;
using k8s.Models;

namespace DryWet.Tests.Platform;

/// <summary>
/// The hand-written manifests under platform/manifests: core kinds load into KubernetesClient's typed models in
/// strict mode (unknown fields throw), Istio resources pass <see cref="IstioResourceValidator"/>, PrometheusRules
/// <see cref="PrometheusRuleValidator"/>, and every
/// kustomization builds with the real <c>kubectl kustomize</c>.
/// </summary>
public class PlatformManifestTests
{
    private static readonly string ManifestDir = RepositoryPaths.Combine("platform", "manifests");

    public static TheoryData<string> ManifestFiles() =>
        [.. Directory.GetFiles(ManifestDir, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, f)).Order()];

    public static TheoryData<string> Kustomizations() =>
        [.. Directory.GetFiles(ManifestDir, "kustomization.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, Path.GetDirectoryName(f)!)).Order()];

    private static readonly HashSet<string> CoreKinds = ["v1/Namespace", "v1/Service", "v1/PersistentVolumeClaim", "v1/ConfigMap", "apps/v1/Deployment", "batch/v1/Job", "networking.k8s.io/v1/NetworkPolicy"];

    /// <summary>Checks every document of a YAML stream; returns them as JSON trees.</summary>
    private static List<JsonNode> ValidateDocuments(string yaml, string source)
    {
        var docs = YamlToJson.LoadAll(yaml).Where(d => d is not null).Select(d => d!).ToList();
        docs.ShouldNotBeEmpty(source);
        foreach (var doc in docs)
        {
            var apiVersion = doc["apiVersion"]?.GetValue<string>();
            var kind = doc["kind"]?.GetValue<string>();
            var name = doc["metadata"]?["name"]?.GetValue<string>();
            name.ShouldNotBeNullOrWhiteSpace($"{source}: {kind} without metadata.name");
            var key = $"{apiVersion}/{kind}";
            if (CoreKinds.Contains(key))
            {
                // Strict: an unknown or misplaced field throws, as `kubectl apply --validate=strict` would refuse it.
                var objects = KubernetesYaml.LoadAllFromString(doc.ToJsonString(), strict: true);
                objects.Count.ShouldBe(1);
                objects[0].ShouldBeAssignableTo<IKubernetesObject>();
            }
            else if (apiVersion?.StartsWith("networking.istio.io/", StringComparison.Ordinal) == true)
            {
                IstioResourceValidator.Validate(doc).ShouldBeEmpty($"{source}: {kind}/{name}");
            }
            else if (key == "monitoring.coreos.com/v1/PrometheusRule")
            {
                // The shape here; the expressions in PrometheusRuleTests (promtool).
                PrometheusRuleValidator.Validate(doc).ShouldBeEmpty($"{source}: {kind}/{name}");
            }
            else
            {
                throw new ShouldAssertException($"{source}: {key} is neither a core kind this test knows nor an Istio resource");
            }
        }

        return docs;
    }

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public async Task Manifest_parses_into_typed_models_or_passes_the_istio_check(string file)
    {
        var text = await File.ReadAllTextAsync(RepositoryPaths.Combine(file), TestContext.Current.CancellationToken);
        var docs = ValidateDocuments(text, file);
        if (docs.All(d => CoreKinds.Contains($"{d["apiVersion"]}/{d["kind"]}")))
        {
            // KubernetesClient's own reader, strict, straight from the file's text.
            KubernetesYaml.LoadAllFromString(text, strict: true).Count.ShouldBe(docs.Count);
        }

        foreach (var doc in docs.Where(d => d["kind"]!.GetValue<string>() != "Namespace"))
        {
            doc["metadata"]!["namespace"]!.GetValue<string>().ShouldBeOneOf("kubeflow", "mlflow", "monitoring", "istio-system");
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Kustomization_builds_with_kubectl_and_its_output_validates(string dir)
    {
        var docs = await BuildAsync(dir);
        docs.ShouldNotBeEmpty();
    }

    private static async Task<List<JsonNode>> BuildAsync(string dir)
    {
        ProcessRunner.OnPath("kubectl").ShouldBeTrue("kubectl (client) is required to build the kustomizations");
        var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", dir]);
        result.ExitCode.ShouldBe(0, result.All);
        return ValidateDocuments(result.StdOut, $"kubectl kustomize {dir}");
    }

    [Fact]
    public void The_checks_reject_a_misspelt_field_in_a_core_kind_and_in_an_istio_resource()
    {
        const string deployment = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: x, namespace: mlflow}
            spec:
              replicas: 1
              selector: {matchLabels: {app: x}}
              template:
                metadata: {labels: {app: x}}
                spec:
                  containers:
                    - name: x
                      image: x:1
                      imagePullPolicyy: IfNotPresent
            """;
        Should.Throw<Exception>(() => KubernetesYaml.LoadAllFromString(deployment, strict: true));

        var vs = YamlToJson.LoadAll("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: x, namespace: mlflow}
            spec:
              hosts: ["*"]
              gateways: [istio-system/mlops-gateway]
              http:
                - match: [{uri: {prefix: /x}}]
                  rewite: {uri: /}
                  route: [{destination: {host: x.mlflow.svc.cluster.local, port: {number: "80"}}}]
            """)[0]!;
        var errors = IstioResourceValidator.Validate(vs);
        errors.ShouldContain(e => e.Contains("unknown field 'rewite'"));
        errors.ShouldContain(e => e.Contains("number: expected a number"));
    }

    [Fact]
    public async Task The_platform_routes_nothing_through_the_gateway_it_serves_over_https()
    {
        var docs = await BuildAsync("platform/manifests/istio");

        var gateway = docs.ShouldHaveSingleItem("admin UIs are reached with kubectl port-forward, not routed");
        gateway["kind"]!.GetValue<string>().ShouldBe("Gateway");
        gateway["metadata"]!["name"]!.GetValue<string>().ShouldBe("mlops-gateway");
        gateway["metadata"]!["namespace"]!.GetValue<string>().ShouldBe("istio-system");
        gateway["spec"]!["selector"]!["istio"]!.GetValue<string>().ShouldBe("ingressgateway");
        var servers = gateway["spec"]!["servers"]!.AsArray();
        servers.Single(s => s!["port"]!["number"]!.GetValue<long>() == 443)!["tls"]!["credentialName"]!.GetValue<string>().ShouldBe("drywet-gateway-tls");
        servers.Single(s => s!["port"]!["number"]!.GetValue<long>() == 80)!["tls"]!["httpsRedirect"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task Mlflow_keeps_its_store_on_a_volume_and_serves_artifacts_from_minio()
    {
        var docs = await BuildAsync("platform/manifests/mlflow");
        var deployment = KubernetesYaml.Deserialize<V1Deployment>(docs.Single(d => d["kind"]!.GetValue<string>() == "Deployment").ToJsonString(), strict: true);
        var container = deployment.Spec.Template.Spec.Containers.Single();
        container.Command.ShouldContain("--serve-artifacts");
        container.Command.ShouldContain("--artifacts-destination");
        var store = container.Command[container.Command.IndexOf("--backend-store-uri") + 1];
        store.ShouldStartWith("sqlite:////mlflow/data/");
        container.VolumeMounts.Single(m => m.Name == "data").MountPath.ShouldBe("/mlflow/data");
        deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName.ShouldBe("mlflow-data");
        deployment.Spec.Strategy.Type.ShouldBe("Recreate");
        container.Env.Single(e => e.Name == "AWS_SECRET_ACCESS_KEY").ValueFrom.SecretKeyRef.Name.ShouldBe("mlflow-minio-credentials");
        // MLflow's basic-auth app, configured from the generated Secret mlflow-auth (mounted, never in the spec).
        container.Command[container.Command.IndexOf("--app-name") + 1].ShouldBe("basic-auth");
        container.Env.Single(e => e.Name == "MLFLOW_AUTH_CONFIG_PATH").Value.ShouldBe("/etc/mlflow-auth/basic_auth.ini");
        container.Env.Single(e => e.Name == "MLFLOW_FLASK_SERVER_SECRET_KEY").ValueFrom.SecretKeyRef.Name.ShouldBe("mlflow-auth");
        container.VolumeMounts.Single(m => m.Name == "auth").MountPath.ShouldBe("/etc/mlflow-auth");
        deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "auth").Secret.SecretName.ShouldBe("mlflow-auth");
        container.ReadinessProbe.TcpSocket.ShouldNotBeNull("a probe sends no credentials");
        docs.ShouldContain(d => d["kind"]!.GetValue<string>() == "PersistentVolumeClaim" && d["metadata"]!["name"]!.GetValue<string>() == "mlflow-data");
        docs.Single(d => d["kind"]!.GetValue<string>() == "Service")["metadata"]!["name"]!.GetValue<string>().ShouldBe("mlflow-service");
    }

    [Fact]
    public async Task Minio_setup_job_creates_one_user_per_workload_with_its_policy_using_the_pinned_mc_image()
    {
        var docs = await BuildAsync("platform/manifests/minio");
        var job = KubernetesYaml.Deserialize<V1Job>(docs.Single(d => d["kind"]!.GetValue<string>() == "Job").ToJsonString(), strict: true);
        job.Spec.Template.Spec.RestartPolicy.ShouldBe("OnFailure");
        job.Spec.Template.Metadata.Annotations["sidecar.istio.io/inject"].ShouldBe("false");
        var container = job.Spec.Template.Spec.Containers.Single();
        container.Image.ShouldMatch(@"^quay\.io/minio/mc:RELEASE\.");
        container.Env.Single(e => e.Name == "MINIO_SECRET_KEY").ValueFrom.SecretKeyRef.Name.ShouldBe("mlpipeline-minio-artifact");
        var script = string.Join('\n', container.Command);
        script.ShouldContain("mc mb --ignore-existing");
        script.ShouldContain("mc admin user add");
        script.ShouldContain("mc admin policy create");
        script.ShouldContain("mc admin policy attach");
        var workloads = container.Env.Single(e => e.Name == "WORKLOADS").Value.Split(' ');
        workloads.ShouldBe(["serving", "web", "trainer", "watcher", "mlflow"]);

        // Each workload's keys come from its own Secret; its policy is in the generated ConfigMap the Job mounts.
        var identities = job.Spec.Template.Spec.Volumes.Single(v => v.Name == "identities").Projected.Sources.Select(s => s.Secret.Name);
        identities.ShouldBe(workloads.Select(w => $"drywet-minio-{w}"));
        var policies = docs.Single(d => d["kind"]!.GetValue<string>() == "ConfigMap");
        job.Spec.Template.Spec.Volumes.Single(v => v.Name == "policies").ConfigMap.Name.ShouldBe(policies["metadata"]!["name"]!.GetValue<string>());
        policies["data"]!.AsObject().Select(p => p.Key).ShouldBe(workloads.Select(w => $"drywet-{w}.json"), ignoreOrder: true);
    }

    [Theory]
    [InlineData("serving", "ml-models mlflow", "ml-feedback")]
    [InlineData("web", "ml-feedback", "ml-data")]
    [InlineData("trainer", "ml-data", "ml-models mlflow ml-data/.datasets")] // and the dataset manifests (ml-data/.datasets/<version>.json)
    [InlineData("watcher", "ml-data", "ml-data/.drywet ml-data/.datasets")] // its own state (ml-data/.drywet/watch/…) and the manifests it trains on
    [InlineData("mlflow", "", "mlflow")]
    public async Task A_workloads_bucket_policy_reads_and_writes_only_its_buckets(string workload, string reads, string writes)
    {
        var policy = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "manifests", "minio", "policies", $"drywet-{workload}.json"), TestContext.Current.CancellationToken))!;
        var statements = policy["Statement"]!.AsArray().Select(s => s!).ToList();
        statements.ShouldAllBe(s => s["Effect"]!.GetValue<string>() == "Allow");
        string[] Buckets(string actionPrefix, bool objects) => [.. statements
            .Where(s => s["Action"]!.AsArray().Any(a => a!.GetValue<string>().StartsWith(actionPrefix, StringComparison.Ordinal)))
            .SelectMany(s => s["Resource"]!.AsArray().Select(r => r!.GetValue<string>()))
            .Where(r => r.EndsWith("/*", StringComparison.Ordinal) == objects)
            .Select(r => r.Replace("arn:aws:s3:::", "", StringComparison.Ordinal).TrimEnd('*').TrimEnd('/'))
            .Distinct().Order(StringComparer.Ordinal)];

        Buckets("s3:GetObject", objects: true).ShouldBe($"{reads} {writes}".Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Buckets("s3:PutObject", objects: true).ShouldBe(writes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Buckets("s3:DeleteObject", objects: true).ShouldBe(writes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        statements.SelectMany(s => s["Action"]!.AsArray().Select(a => a!.GetValue<string>()))
            .ShouldAllBe(a => !a.Contains('*') && !a.StartsWith("s3:CreateBucket", StringComparison.Ordinal) && !a.StartsWith("s3:DeleteBucket", StringComparison.Ordinal) && !a.StartsWith("s3:PutBucket", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Manifest_images_are_the_ones_pinned_in_config_yaml()
    {
        var config = await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "config.yaml"), TestContext.Current.CancellationToken);
        var pins = YamlToJson.LoadAll(config)[0]!["images"]!;
        var images = new List<string>();
        foreach (var dir in new[] { "platform/manifests/mlflow", "platform/manifests/minio" })
        {
            foreach (var doc in await BuildAsync(dir))
            {
                var spec = doc["spec"]?["template"]?["spec"];
                foreach (var c in (spec?["containers"]?.AsArray() ?? []).Concat(spec?["initContainers"]?.AsArray() ?? []))
                {
                    images.Add(c!["image"]!.GetValue<string>());
                }
            }
        }

        images.Distinct().Order().ShouldBe(new[] { pins["mlflow"]!.GetValue<string>(), pins["mc"]!.GetValue<string>() }.Order());
    }

    [Fact]
    public async Task No_secret_is_committed_and_grafana_reads_its_generated_Secret()
    {
        foreach (var dir in Kustomizations().Select(r => (string)r.Data))
        {
            foreach (var doc in await BuildAsync(dir))
            {
                doc["kind"]!.GetValue<string>().ShouldNotBe("Secret", $"{dir}: Secrets are generated by setup.sh");
            }
        }

        var values = YamlToJson.LoadAll(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "helm", "kube-prometheus-stack-values.yaml"), TestContext.Current.CancellationToken))[0]!;
        values["grafana"]!["adminPassword"].ShouldBeNull("no password passes through Helm");
        values["grafana"]!["admin"]!["existingSecret"]!.GetValue<string>().ShouldBe("grafana-admin");
    }

    [Fact]
    public async Task Helm_values_serve_the_uis_for_port_forward_and_load_dashboards_from_labelled_configmaps()
    {
        var values = YamlToJson.LoadAll(await File.ReadAllTextAsync(RepositoryPaths.Combine("platform", "helm", "kube-prometheus-stack-values.yaml"), TestContext.Current.CancellationToken))[0]!;
        values["prometheus"]!["prometheusSpec"]!["routePrefix"]!.GetValue<string>().ShouldBe("/prometheus");
        values["grafana"]!["fullnameOverride"]!.GetValue<string>().ShouldBe("grafana");
        values["grafana"]!["grafana.ini"]!["server"]!["serve_from_sub_path"]!.GetValue<bool>().ShouldBeFalse("kubectl port-forward serves Grafana at the root");
        values["grafana"]!["sidecar"]!["datasources"]!["url"]!.GetValue<string>().ShouldEndWith(":9090/prometheus");
        var dashboards = values["grafana"]!["sidecar"]!["dashboards"]!;
        var monitoring = await BuildAsync("platform/manifests/monitoring");
        monitoring.Select(d => d["kind"]!.GetValue<string>()).ShouldBe(["ConfigMap", "PrometheusRule", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy"], ignoreOrder: true);
        monitoring.ShouldAllBe(d => d["metadata"]!["namespace"]!.GetValue<string>() == "monitoring");
        var configMap = monitoring.Single(d => d["kind"]!.GetValue<string>() == "ConfigMap");
        configMap["metadata"]!["labels"]![dashboards["label"]!.GetValue<string>()]!.GetValue<string>().ShouldBe(dashboards["labelValue"]!.GetValue<string>());
        configMap["metadata"]!["namespace"]!.GetValue<string>().ShouldBe("monitoring");
    }
}
