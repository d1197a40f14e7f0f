using DryWet.Tests.Storage;

namespace DryWet.Tests.Platform;

/// <summary>
/// Runs the platform scripts offline against stand-in kubectl/helm/minikube/docker/dotnet/git executables (no
/// cluster can run here). The stand-ins record every call (one line each, in order) and answer the few queries the
/// scripts read (versions, node GPUs); `kubectl kustomize` (of local folders) and `kubectl create --dry-run=client`
/// go to the real kubectl, and whatever is piped into `kubectl apply -f -` or `helm -f -` is kept for inspection.
/// Secrets applied are remembered (<see cref="Secrets"/>, one file per namespace.name), so `kubectl get secret`
/// answers as a cluster would: found or not, and a key's base64 value.
/// </summary>
internal sealed class ScriptSandbox : IDisposable
{
    private readonly DirectoryInfo root = new(TestFolders.NewTempDirectory("drywet-scripts"));

    public string Bin => Path.Combine(root.FullName, "bin");
    public string CallLog => Path.Combine(root.FullName, "calls.log");
    public string Applied => Path.Combine(root.FullName, "applied.yaml");
    public string HelmStdin => Path.Combine(root.FullName, "helm-stdin.yaml");
    public string RunStdin => Path.Combine(root.FullName, "run-stdin.bin");
    public string Secrets => Path.Combine(root.FullName, "secrets");
    public string Root => root.FullName;
    public Dictionary<string, string?> Environment { get; } = new();

    public ScriptSandbox()
    {
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(Secrets);
        var realKubectl = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists) ?? "/usr/bin/kubectl";
        Write("kubectl", """
            #!/usr/bin/env bash
            echo "kubectl $*" >> "$STUB_LOG"
            case "$*" in
              "version --client -o json") echo '{"clientVersion":{"gitVersion":"v1.32.4"}}' ;;
              version\ --request-timeout*) exit "${STUB_CLUSTER_RC:-0}" ;;
              "config current-context") echo minikube ;;
              get\ nodes*) echo "${STUB_GPUS-1}" ;;
              get\ secret\ *)
                name="$3"; ns=""; prev=""
                for a in "$@"; do [[ "$prev" == "-n" ]] && ns="$a"; prev="$a"; done
                file="$STUB_SECRETS/${ns}.${name}"
                [[ -f "$file" ]] || { echo "Error from server (NotFound): secrets \"${name}\" not found" >&2; exit 1; }
                if [[ "$*" =~ \{\.data\.([A-Za-z0-9_-]+)\} ]]; then
                  awk -v k="${BASH_REMATCH[1]}" '/^data:/{d=1; next} /^[^ ]/{d=0} d && $1 == k":" {printf "%s", $2}' "$file"
                fi
                exit 0 ;;
              get\ service\ istio-ingressgateway*) echo 10.0.0.5 ;;
              get\ pods*Succeeded*) printf 'kubeflow dry-wet-model-training-pipeline-abc-1\nkubeflow other-pod\n' ;;
              get\ pods*Failed*) printf 'kubeflow dry-wet-model-training-pipeline-def-2\n' ;;
              kustomize\ *)
                # A kustomization over a remote base (KFP's manifests) would need the network: record it instead.
                if grep -qs 'github.com/' "$2/kustomization.yaml"; then
                  { echo "# remote kustomization:"; cat "$2/kustomization.yaml"; echo "---"; } >> "$STUB_APPLIED"
                  exit 0
                fi
                exec "@REAL_KUBECTL@" "$@" ;;
              create*--dry-run=client*) exec "@REAL_KUBECTL@" "$@" ;;
              "apply -f -")
                doc="$(cat)"
                printf '%s\n---\n' "$doc" >> "$STUB_APPLIED"
                if grep -q '^kind: Secret$' <<<"$doc"; then
                  name="$(awk '/^metadata:/{m=1; next} /^[^ ]/{m=0} m && $1 == "name:" {print $2; exit}' <<<"$doc")"
                  ns="$(awk '/^metadata:/{m=1; next} /^[^ ]/{m=0} m && $1 == "namespace:" {print $2; exit}' <<<"$doc")"
                  printf '%s\n' "$doc" > "$STUB_SECRETS/${ns}.${name}"
                fi ;;
              run\ *) cat > "$STUB_RUN_STDIN" ;;
              rollout\ status*)
                if [[ -n "${STUB_FAIL_ROLLOUT:-}" && "$*" == *"deployment/${STUB_FAIL_ROLLOUT} "* ]]; then exit 1; fi ;;
            esac
            exit 0
            """.Replace("@REAL_KUBECTL@", realKubectl, StringComparison.Ordinal));
        Write("helm", """
            #!/usr/bin/env bash
            echo "helm $*" >> "$STUB_LOG"
            case "$*" in
              version*) echo "v3.15.4" ;;
              *" -f -"*) cat >> "$STUB_HELM_STDIN" ;;
            esac
            exit 0
            """);
        Write("minikube", """
            #!/usr/bin/env bash
            echo "minikube $*" >> "$STUB_LOG"
            [[ "$*" == *docker-env* ]] && echo 'export DOCKER_HOST="tcp://192.168.49.2:2376"'
            [[ "$*" == "version --short" ]] && echo "${STUB_MINIKUBE_VERSION:-v1.34.0}"
            exit 0
            """);
        Write("docker", """
            #!/usr/bin/env bash
            echo "docker $*" >> "$STUB_LOG"
            [[ "$*" == "image inspect ${STUB_EXISTING_IMAGE:-none}" ]] && exit 0
            [[ "$1" == image && "$2" == inspect ]] && exit 1
            exit 0
            """);
        Write("dotnet", """
            #!/usr/bin/env bash
            echo "dotnet $* DOCKER_HOST=${DOCKER_HOST:-}" >> "$STUB_LOG"
            exit 0
            """);
        Write("git", """
            #!/usr/bin/env bash
            exit 0
            """);
        File.WriteAllText(CallLog, "");
        Environment["PATH"] = $"{Bin}:/usr/local/bin:/usr/bin:/bin";
        Environment["STUB_LOG"] = CallLog;
        Environment["STUB_APPLIED"] = Applied;
        Environment["STUB_HELM_STDIN"] = HelmStdin;
        Environment["STUB_RUN_STDIN"] = RunStdin;
        Environment["STUB_SECRETS"] = Secrets;
        Environment["DRYWET_CONFIG_NO_YQ"] = "1";
    }

    private void Write(string name, string script)
    {
        var path = Path.Combine(Bin, name);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>A copy of platform/config.yaml with some values replaced, used through DRYWET_CONFIG.</summary>
    public void UseConfig(params (string From, string To)[] replacements)
    {
        var text = File.ReadAllText(RepositoryPaths.Combine("platform", "config.yaml"));
        foreach (var (from, to) in replacements)
        {
            text.ShouldContain(from);
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        var path = Path.Combine(root.FullName, "config.yaml");
        File.WriteAllText(path, text);
        Environment["DRYWET_CONFIG"] = path;
    }

    public Task<ProcessRunner.Result> RunAsync(string script, params string[] args) =>
        ProcessRunner.RunAsync("bash", [RepositoryPaths.Combine(script), .. args], environment: Environment);

    public string[] Calls() => File.ReadAllLines(CallLog);

    /// <summary>The decoded value of <paramref name="key"/> in a Secret the script applied (null when there is none).</summary>
    public string? SecretValue(string ns, string name, string key)
    {
        var file = Path.Combine(Secrets, $"{ns}.{name}");
        if (!File.Exists(file))
        {
            return null;
        }

        var secret = k8s.KubernetesYaml.Deserialize<k8s.Models.V1Secret>(File.ReadAllText(file));
        return secret.Data is not null && secret.Data.TryGetValue(key, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : null;
    }

    public void Dispose() => TestFolders.DeleteQuietly(root.FullName);
}
