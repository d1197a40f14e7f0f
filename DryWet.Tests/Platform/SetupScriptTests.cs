namespace DryWet.Tests.Platform;

/// <summary>platform/setup.sh, end to end against stand-in tools (<see cref="ScriptSandbox"/>).</summary>
public sealed class SetupScriptTests : IDisposable
{
    private readonly ScriptSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Setup_runs_every_step_in_order_with_the_pinned_versions()
    {
        var result = await sandbox.RunAsync("platform/setup.sh");
        result.ExitCode.ShouldBe(0, result.All);

        var calls = sandbox.Calls();
        int Index(string fragment)
        {
            var i = Array.FindIndex(calls, c => c.Contains(fragment, StringComparison.Ordinal));
            i.ShouldBeGreaterThanOrEqualTo(0, $"no call containing '{fragment}':\n{string.Join('\n', calls)}");
            return i;
        }

        int[] order =
        [
            Index("kubectl apply -f " + RepositoryPaths.Combine("platform", "manifests", "namespaces.yaml")),
            Index("kubectl get secret mlpipeline-minio-artifact -n kubeflow"),
            Index("kubectl get secret grafana-admin -n monitoring"),
            Index("helm upgrade --install istio-base istio/base -n istio-system --create-namespace --version 1.27.1"),
            Index("helm upgrade --install istiod istio/istiod -n istio-system --version 1.27.1"),
            Index("helm upgrade --install istio-ingressgateway istio/gateway -n istio-system --version 1.27.1"),
            Index("kubectl apply -k github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=2.14.3"),
            Index("kubectl wait --for condition=established --timeout=60s crd/applications.app.k8s.io"),
            Index("kubectl rollout status deployment/ml-pipeline-ui -n kubeflow --timeout=500s"),
            Index("kubectl delete job drywet-minio-setup -n kubeflow --ignore-not-found"),
            Index("kubectl wait --for=condition=complete job/drywet-minio-setup -n kubeflow --timeout=180s"),
            Index("kubectl rollout status deployment/mlflow -n mlflow --timeout=300s"),
            Index("helm upgrade --install prometheus prometheus-community/kube-prometheus-stack -n monitoring --create-namespace --version 77.1.1"),
            Index("kubectl apply -k " + RepositoryPaths.Combine("platform", "manifests", "monitoring")),
            Index("kubectl create secret tls drywet-gateway-tls -n istio-system"),
            Index("kubectl apply -k " + RepositoryPaths.Combine("platform", "manifests", "istio")),
        ];
        order.ShouldBe(order.Order().ToArray(), "steps run in the documented order");
        calls.ShouldNotContain(c => c.Contains("env/dev"), "env/dev brings GCP's inverse proxy (kubeflow/pipelines#9546)");
        calls.ShouldNotContain(c => c.Contains("curl") || c.Contains("latest"));

        // KFP's manifests without KFP's well-known MinIO Secret: the generated one stays.
        var applied = File.ReadAllText(sandbox.Applied);
        applied.ShouldContain("- github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=2.14.3\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: mlpipeline-minio-artifact");
        calls.ShouldNotContain("kubectl apply -k github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=2.14.3");

        // Every credential generated, random and distinct, and never on a command line (visible in ps) nor in the
        // helm values: Grafana reads its Secret.
        var generated = GeneratedCredentials();
        generated.Values.ShouldAllBe(v => System.Text.RegularExpressions.Regex.IsMatch(v, "^[0-9a-f]{48}$"));
        generated.Values.Distinct().Count().ShouldBe(generated.Count);
        foreach (var value in generated.Values)
        {
            calls.ShouldNotContain(c => c.Contains(value), "a generated credential on a command line");
            File.ReadAllText(sandbox.HelmStdin).ShouldNotContain(value);
        }

        File.ReadAllText(sandbox.HelmStdin).ShouldNotContain("adminPassword");
        sandbox.SecretValue("mlflow", "mlflow-minio-credentials", "secretkey").ShouldBe(generated["kubeflow/drywet-minio-mlflow"]);
        sandbox.SecretValue("kubeflow", "drywet-mlflow-credentials", "password").ShouldBe(generated["mlflow/mlflow-auth"]);
        sandbox.SecretValue("mlflow", "mlflow-auth", "basic_auth.ini")!.ShouldContain($"admin_password = {generated["mlflow/mlflow-auth"]}\n");

        applied.ShouldContain("image: ghcr.io/mlflow/mlflow:v3.9.0-full");
        applied.ShouldContain("allowed_hosts: localhost,localhost:*,");
        applied.ShouldContain("image: quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z");
        applied.ShouldContain("storage: 5Gi");
        applied.ShouldContain("buckets: ml-data ml-models mlflow ml-feedback");
        result.StdErr.ShouldContain("https://10.0.0.5/dry-wet-model");
        result.StdErr.ShouldContain("https://10.0.0.5/dry-wet-ui");
        result.StdErr.ShouldContain("kubectl port-forward -n mlflow svc/mlflow-service 5000:5000");
        result.StdErr.ShouldContain("kubectl get secret grafana-admin -n monitoring");
        result.StdErr.ShouldNotContain("http://10.0.0.5/");
    }

    /// <summary>Every generated secret value, by "namespace/name" (root, workloads, MLflow admin, Grafana admin).</summary>
    private Dictionary<string, string> GeneratedCredentials()
    {
        var values = new Dictionary<string, string>
        {
            ["kubeflow/mlpipeline-minio-artifact"] = sandbox.SecretValue("kubeflow", "mlpipeline-minio-artifact", "secretkey")!,
            ["mlflow/mlflow-auth"] = sandbox.SecretValue("mlflow", "mlflow-auth", "password")!,
            ["mlflow/mlflow-auth flask"] = sandbox.SecretValue("mlflow", "mlflow-auth", "flask-secret-key")!,
            ["monitoring/grafana-admin"] = sandbox.SecretValue("monitoring", "grafana-admin", "admin-password")!,
        };
        foreach (var workload in new[] { "serving", "web", "trainer", "watcher", "mlflow" })
        {
            values[$"kubeflow/drywet-minio-{workload}"] = sandbox.SecretValue("kubeflow", $"drywet-minio-{workload}", "secretkey")!;
            sandbox.SecretValue("kubeflow", $"drywet-minio-{workload}", "accesskey").ShouldBe($"drywet-{workload}");
        }

        values.Values.ShouldAllBe(v => v != null, string.Join(", ", values.Where(v => v.Value is null).Select(v => v.Key)));
        return values;
    }

    [Fact]
    public async Task A_second_run_keeps_every_generated_credential()
    {
        (await sandbox.RunAsync("platform/setup.sh", "--only", "credentials")).ExitCode.ShouldBe(0);
        var first = GeneratedCredentials();

        var second = await sandbox.RunAsync("platform/setup.sh", "--only", "credentials");

        second.ExitCode.ShouldBe(0, second.All);
        GeneratedCredentials().ShouldBe(first);
        second.StdErr.ShouldContain("secret monitoring/grafana-admin exists: kept");
        second.StdErr.ShouldContain("secret mlflow/mlflow-auth exists: kept");
    }

    [Fact]
    public async Task The_gateway_gets_a_self_signed_certificate_for_the_configured_host_once()
    {
        var result = await sandbox.RunAsync("platform/setup.sh", "--only", "gateway");
        result.ExitCode.ShouldBe(0, result.All);

        var secret = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Secret>(File.ReadAllText(Path.Combine(sandbox.Secrets, "istio-system.drywet-gateway-tls")));
        secret.Type.ShouldBe("kubernetes.io/tls");
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(
            System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"]), System.Text.Encoding.ASCII.GetString(secret.Data["tls.key"]));
        certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false).ShouldBe("drywet.local");
        certificate.HasPrivateKey.ShouldBeTrue();
        result.StdErr.ShouldContain("self-signed certificate for drywet.local");
        sandbox.Calls().ShouldNotContain(c => c.Contains("BEGIN PRIVATE KEY"));
        Directory.GetFiles(sandbox.Root, "*.key", SearchOption.AllDirectories).ShouldBeEmpty();

        File.WriteAllText(sandbox.CallLog, "");
        var again = await sandbox.RunAsync("platform/setup.sh", "--only", "gateway");
        again.ExitCode.ShouldBe(0, again.All);
        again.StdErr.ShouldContain("secret istio-system/drywet-gateway-tls exists: kept");
        sandbox.Calls().ShouldNotContain(c => c.StartsWith("kubectl create secret tls", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_given_certificate_replaces_the_gateways_and_half_of_one_is_refused()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ml.example.org", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var own = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(30));
        var cert = Path.Combine(sandbox.Root, "own.crt");
        var key = Path.Combine(sandbox.Root, "own.pem");
        File.WriteAllText(cert, own.ExportCertificatePem());
        File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());

        var half = await sandbox.RunAsync("platform/setup.sh", "--only", "gateway", "--tls-cert", cert);
        half.ExitCode.ShouldBe(1, half.All);
        half.StdErr.ShouldContain("--tls-cert and --tls-key go together");

        var result = await sandbox.RunAsync("platform/setup.sh", "--only", "gateway", "--tls-cert", cert, "--tls-key", key);
        result.ExitCode.ShouldBe(0, result.All);
        var secret = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Secret>(File.ReadAllText(Path.Combine(sandbox.Secrets, "istio-system.drywet-gateway-tls")));
        System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"]).Trim().ShouldBe(own.ExportCertificatePem().Trim());
    }

    [Fact]
    public async Task KFPs_default_minio_keys_only_by_the_explicit_setting_and_then_with_a_warning()
    {
        sandbox.UseConfig(("kfp_default_credentials: false", "kfp_default_credentials: true"));

        var result = await sandbox.RunAsync("platform/setup.sh", "--only", "credentials");

        result.ExitCode.ShouldBe(0, result.All);
        result.StdErr.ShouldContain("WARNING: minio.kfp_default_credentials is true");
        sandbox.SecretValue("kubeflow", "mlpipeline-minio-artifact", "secretkey").ShouldBeNull("KFP's own manifests bring that Secret");
        sandbox.SecretValue("kubeflow", "drywet-minio-serving", "secretkey").ShouldNotBeNull("workload users exist either way");
    }

    [Fact]
    public async Task A_second_run_issues_the_same_idempotent_commands()
    {
        // Piped commands log concurrently and overlays live in fresh temp folders: compare normalised, as multisets.
        // The first run generates the credentials; every later run keeps them and issues the same commands.
        static string[] Normalised(string[] calls) =>
            [.. calls.Select(c => System.Text.RegularExpressions.Regex.Replace(c, @"\S*/tmp\.\w+|/dev/fd/\d+", "<temp>")).Order()];
        (await sandbox.RunAsync("platform/setup.sh")).ExitCode.ShouldBe(0);
        var first = sandbox.Calls();
        File.WriteAllText(sandbox.CallLog, "");
        (await sandbox.RunAsync("platform/setup.sh")).ExitCode.ShouldBe(0);
        var second = sandbox.Calls();
        File.WriteAllText(sandbox.CallLog, "");
        (await sandbox.RunAsync("platform/setup.sh")).ExitCode.ShouldBe(0);
        Normalised(sandbox.Calls()).ShouldBe(Normalised(second));
        second.Length.ShouldBeLessThan(first.Length, "the second run creates no credential");
        first.ShouldAllBe(c => !c.StartsWith("kubectl create ", StringComparison.Ordinal) || c.Contains("--dry-run=client"),
            "objects are created with create --dry-run | apply, never a bare create");
        first.Where(c => c.StartsWith("helm upgrade", StringComparison.Ordinal)).ShouldAllBe(c => c.Contains("--install") && c.Contains("--version "));
    }

    [Fact]
    public async Task A_failure_names_the_step_that_failed()
    {
        sandbox.Environment["STUB_FAIL_ROLLOUT"] = "mlflow";
        var result = await sandbox.RunAsync("platform/setup.sh");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("ERROR (step: mlflow): deployment/mlflow in mlflow did not become ready within 300s");
        sandbox.Calls().ShouldNotContain(c => c.Contains("kube-prometheus-stack"), "later steps do not run");
    }

    [Fact]
    public async Task An_unreachable_cluster_stops_in_preflight_with_the_minikube_command()
    {
        sandbox.Environment["STUB_CLUSTER_RC"] = "1";
        var result = await sandbox.RunAsync("platform/setup.sh");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("ERROR (step: preflight): the cluster is not reachable");
        result.StdErr.ShouldContain("minikube start");
    }

    [Fact]
    public async Task Missing_gpus_and_an_old_minikube_are_warnings_not_failures()
    {
        sandbox.Environment["STUB_GPUS"] = "";
        sandbox.Environment["STUB_MINIKUBE_VERSION"] = "v1.31.2";
        var result = await sandbox.RunAsync("platform/setup.sh", "--only", "preflight");
        result.ExitCode.ShouldBe(0, result.All);
        result.StdErr.ShouldContain("WARNING: no node offers nvidia.com/gpu");
        result.StdErr.ShouldContain("WARNING: minikube v1.31.2 is older than 1.32.0");
    }

    [Fact]
    public async Task An_unknown_step_is_refused_with_the_list_of_steps()
    {
        var result = await sandbox.RunAsync("platform/setup.sh", "--skip", "kfp");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("unknown step 'kfp'; steps are: preflight namespaces credentials istio kubeflow minio mlflow monitoring gateway");
        sandbox.Calls().ShouldBeEmpty();
    }
}
