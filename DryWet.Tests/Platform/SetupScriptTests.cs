namespace DryWet.Tests.Platform;

/// <summary>platform/setup.sh, end to end against stand-in tools (<see cref="ScriptSandbox"/>).</summary>
public sealed class SetupScriptTests : IDisposable
{
    private readonly ScriptSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public async Task Setup_runs_every_step_in_order_with_the_pinned_versions()
    {
        sandbox.UseConfig(("grafana_password: \"admin\"", "grafana_password: \"pw-Zq81\""));
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
            Index("helm upgrade --install istio-base istio/base -n istio-system --create-namespace --version 1.27.1"),
            Index("helm upgrade --install istiod istio/istiod -n istio-system --version 1.27.1"),
            Index("helm upgrade --install istio-ingressgateway istio/gateway -n istio-system --version 1.27.1"),
            Index("kubectl apply -k github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=2.14.3"),
            Index("kubectl wait --for condition=established --timeout=60s crd/applications.app.k8s.io"),
            Index("kubectl apply -k github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=2.14.3"),
            Index("kubectl rollout status deployment/ml-pipeline-ui -n kubeflow --timeout=500s"),
            Index("kubectl delete job drywet-create-buckets -n kubeflow --ignore-not-found"),
            Index("kubectl wait --for=condition=complete job/drywet-create-buckets -n kubeflow --timeout=180s"),
            Index("kubectl rollout status deployment/mlflow -n mlflow --timeout=300s"),
            Index("helm upgrade --install prometheus prometheus-community/kube-prometheus-stack -n monitoring --create-namespace --version 77.1.1"),
            Index("kubectl apply -k " + RepositoryPaths.Combine("platform", "manifests", "monitoring")),
            Index("kubectl apply -k " + RepositoryPaths.Combine("platform", "manifests", "istio")),
        ];
        order.ShouldBe(order.Order().ToArray(), "steps run in the documented order");
        calls.ShouldNotContain(c => c.Contains("env/dev"), "env/dev brings GCP's inverse proxy (kubeflow/pipelines#9546)");
        calls.ShouldNotContain(c => c.Contains("curl") || c.Contains("latest"));

        // Secrets reach the cluster through stdin only, never through a command line (visible in ps).
        calls.ShouldNotContain(c => c.Contains("pw-Zq81") || c.Contains("minio123"));
        File.ReadAllText(sandbox.HelmStdin).ShouldContain("adminPassword: \"pw-Zq81\"");

        var applied = File.ReadAllText(sandbox.Applied);
        applied.ShouldContain("image: ghcr.io/mlflow/mlflow:v3.9.0-full");
        applied.ShouldContain("allowed_hosts: localhost,localhost:*,");
        applied.ShouldContain("image: quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z");
        applied.ShouldContain("storage: 5Gi");
        applied.ShouldContain("buckets: ml-data ml-models mlflow");
        applied.ShouldContain("name: mlflow-minio-credentials");
        applied.ShouldContain("secretkey: bWluaW8xMjM=", Case.Sensitive, "the Secret holds minio123 (base64) from config.yaml");
        result.StdErr.ShouldContain("http://10.0.0.5");
        result.StdErr.ShouldContain("/dry-wet-model");
    }

    [Fact]
    public async Task A_second_run_issues_the_same_idempotent_commands()
    {
        // Piped commands log concurrently and overlays live in fresh temp folders: compare normalised, as multisets.
        static string[] Normalised(string[] calls) =>
            [.. calls.Select(c => System.Text.RegularExpressions.Regex.Replace(c, @"\S*/tmp\.\w+", "<overlay>")).Order()];
        (await sandbox.RunAsync("platform/setup.sh")).ExitCode.ShouldBe(0);
        var first = sandbox.Calls();
        File.WriteAllText(sandbox.CallLog, "");
        (await sandbox.RunAsync("platform/setup.sh")).ExitCode.ShouldBe(0);
        Normalised(sandbox.Calls()).ShouldBe(Normalised(first));
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
    public async Task Minio_keys_that_differ_from_kfps_secret_are_refused_in_the_buckets_step()
    {
        sandbox.Environment["STUB_MINIO_SECRET"] = "something-else";
        var result = await sandbox.RunAsync("platform/setup.sh", "--only", "buckets");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("ERROR (step: minio buckets): Secret kubeflow/mlpipeline-minio-artifact does not hold");
    }

    [Fact]
    public async Task An_unknown_step_is_refused_with_the_list_of_steps()
    {
        var result = await sandbox.RunAsync("platform/setup.sh", "--skip", "kfp");
        result.ExitCode.ShouldBe(1, result.All);
        result.StdErr.ShouldContain("unknown step 'kfp'; steps are: preflight namespaces istio kubeflow buckets mlflow monitoring gateway");
        sandbox.Calls().ShouldBeEmpty();
    }
}
