using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;

namespace DryWet.Tests.Security;

/// <summary>
/// What reaches the cluster (the default publish output and every platform kustomization), read as a whole: every
/// workload meets the restricted profile and is selected by a NetworkPolicy of its namespace, no object holds a secret
/// value, and the gateway serves exactly the two public routes, over HTTPS.
/// </summary>
public partial class ClusterSecurityTests
{
    /// <summary>Secrets that ship with the upstream projects DryWet installs: KFP's MinIO, MLflow's auth app, kube-prometheus-stack's Grafana.</summary>
    internal static readonly string[] WellKnownPasswords = ["minio123", "password1234", "prom-operator"];

    [Fact]
    public async Task Every_workload_meets_the_restricted_profile()
    {
        var objects = await ClusterManifests.AllAsync();
        var workloads = objects.Where(o => o.RunsPods()).ToList();

        workloads.Select(w => w.Name).ShouldBe(
            ["dry-wet-model-training", "dry-wet-model-watcher-deployment", "dry-wet-model-deployment", "dry-wet-ui-deployment", "drywet-minio-setup", "mlflow"],
            ignoreOrder: true);
        foreach (var workload in workloads)
        {
            RestrictedProfile.Violations((JsonObject)workload.PodTemplate()["spec"]!).ShouldBeEmpty(workload.ToString());
        }
    }

    [Fact]
    public void The_restricted_check_names_what_a_plain_pod_lacks()
    {
        var pod = (JsonObject)YamlToJson.LoadAll("""
            containers:
              - name: app
                image: app:1
                securityContext: {runAsUser: 0}
                resources: {limits: {memory: 1Gi}}
            volumes:
              - name: docker
                hostPath: {path: /var/run/docker.sock}
            hostNetwork: true
            """)[0]!;

        RestrictedProfile.Violations(pod).ShouldBe(
        [
            "automountServiceAccountToken is not false", "hostNetwork is true", "volume docker is of type hostPath",
            "app: runAsNonRoot is not true", "app: runAsUser is 0", "app: seccompProfile.type is unset", "app: allowPrivilegeEscalation is not false",
            "app: readOnlyRootFilesystem is not true", "app: capabilities.drop lacks ALL", "app: no CPU and memory limits",
        ]);
    }

    [Fact]
    public async Task A_NetworkPolicy_with_ingress_and_egress_rules_selects_every_workload()
    {
        var objects = await ClusterManifests.AllAsync();
        var policies = objects.Where(o => o.Kind == "NetworkPolicy").ToList();

        foreach (var workload in objects.Where(o => o.RunsPods()))
        {
            var selecting = policies.Where(p => p.Namespace == workload.Namespace && Selects(p, workload.PodLabels())).ToList();
            selecting.ShouldContain(p => PolicyTypes(p).Contains("Ingress") && PolicyTypes(p).Contains("Egress") && p.Node["spec"]!["egress"] != null,
                $"{workload}: no NetworkPolicy with its allowed flows selects it");
        }
    }

    [Fact]
    public async Task No_object_holds_a_secret_value_and_every_credential_variable_reads_a_Secret()
    {
        var objects = await ClusterManifests.AllAsync();

        objects.ShouldNotContain(o => o.Kind == "Secret", "Secrets are generated in the cluster (setup.sh) or from the git-ignored .env");
        foreach (var o in objects)
        {
            var text = o.Node.ToJsonString();
            SecretScanner.Find(text, WellKnownPasswords).ShouldBeEmpty(o.ToString());
            if (o.Kind == "ConfigMap")
            {
                foreach (var (key, value) in o.Node["data"]?.AsObject() ?? [])
                {
                    CredentialName().IsMatch(key).ShouldBeFalse($"{o}: ConfigMap key {key} looks like a credential");
                    CredentialPair().IsMatch(value!.GetValue<string>()).ShouldBeFalse($"{o}: {key} holds a credential");
                }
            }

            if (!o.RunsPods()) continue;
            var spec = o.PodTemplate()["spec"]!;
            foreach (var container in (spec["containers"]?.AsArray() ?? []).Concat(spec["initContainers"]?.AsArray() ?? []))
            {
                foreach (var env in container!["env"]?.AsArray() ?? [])
                {
                    var name = env!["name"]!.GetValue<string>();
                    var value = env["value"]?.GetValue<string>();
                    if (value is null) continue;
                    (CredentialName().IsMatch(name) && !ExpandsOnly().IsMatch(value)).ShouldBeFalse($"{o}: {name} is a credential written as text");
                    CredentialPair().IsMatch(value).ShouldBeFalse($"{o}: {name} holds a credential");
                }
            }
        }
    }

    [Fact]
    public async Task The_gateway_serves_only_the_two_public_routes_over_https()
    {
        var objects = await ClusterManifests.AllAsync();
        var gateway = objects.Single(o => o.Kind == "Gateway");
        var servers = gateway.Node["spec"]!["servers"]!.AsArray().Select(s => s!).ToList();

        servers.Select(s => $"{s["port"]!["protocol"]}:{s["port"]!["number"]}").ShouldBe(["HTTPS:443", "HTTP:80"], ignoreOrder: true);
        var https = servers.Single(s => s["port"]!["protocol"]!.GetValue<string>() == "HTTPS");
        https["tls"]!["mode"]!.GetValue<string>().ShouldBe("SIMPLE");
        https["tls"]!["credentialName"]!.GetValue<string>().ShouldBe("drywet-gateway-tls");
        servers.Single(s => s["port"]!["protocol"]!.GetValue<string>() == "HTTP")["tls"]!["httpsRedirect"]!.GetValue<bool>().ShouldBeTrue();

        var gatewayName = $"{gateway.Namespace}/{gateway.Name}";
        var routes = objects.Where(o => o.Kind == "VirtualService").ToList();
        routes.ShouldAllBe(vs => vs.Node["spec"]!["gateways"]!.AsArray().Select(g => g!.GetValue<string>()).SequenceEqual(new[] { gatewayName }));
        var prefixes = routes.SelectMany(vs => vs.Node["spec"]!["http"]!.AsArray())
            .SelectMany(http => http!["match"]!.AsArray().Select(m => (m!["uri"]!["prefix"] ?? m["uri"]!["exact"])!.GetValue<string>().TrimEnd('/')))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        prefixes.ShouldBe(["/dry-wet-model", "/dry-wet-ui"]);
        // The apps build links and Secure cookies from the scheme the gateway reports.
        foreach (var http in routes.SelectMany(vs => vs.Node["spec"]!["http"]!.AsArray()))
        {
            http!["headers"]!["request"]!["set"]!["X-Forwarded-Proto"]!.GetValue<string>().ShouldBe("https");
        }
    }

    [Fact]
    public async Task Config_yaml_and_the_helm_values_hold_no_credential()
    {
        foreach (var file in new[] { "platform/config.yaml", "platform/helm/kube-prometheus-stack-values.yaml" })
        {
            var text = await File.ReadAllTextAsync(RepositoryPaths.Combine(file), TestContext.Current.CancellationToken);
            SecretScanner.Find(text, WellKnownPasswords).ShouldBeEmpty(file);
            foreach (var (path, value) in Leaves(YamlToJson.LoadAll(text)[0]!, "").Where(l => !SecretReferences.Contains(l.Path)))
            {
                (CredentialName().IsMatch(path[(path.LastIndexOf('.') + 1)..]) && value is string { Length: > 0 })
                    .ShouldBeFalse($"{file}: {path} holds a credential; setup.sh generates credentials into Secrets");
            }
        }
    }

    // Settings that name a Secret or one of its keys, not a credential.
    private static readonly HashSet<string> SecretReferences = ["grafana.admin.userKey", "grafana.admin.passwordKey"];

    private static IEnumerable<(string Path, object? Value)> Leaves(JsonNode node, string path) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Value is null ? [($"{path}.{p.Key}".TrimStart('.'), null)] : Leaves(p.Value, $"{path}.{p.Key}".TrimStart('.'))),
        JsonArray a => a.SelectMany((item, i) => item is null ? [] : Leaves(item, $"{path}[{i}]")),
        JsonValue v => [(path, v.TryGetValue<string>(out var s) ? s : v.ToJsonString())],
        _ => [],
    };

    private static bool Selects(ClusterObject policy, Dictionary<string, string> labels)
    {
        var selector = policy.Node["spec"]!["podSelector"]!;
        if (selector["matchExpressions"] is not null) return false;
        return (selector["matchLabels"]?.AsObject() ?? []).All(p => labels.TryGetValue(p.Key, out var v) && v == p.Value!.GetValue<string>());
    }

    private static List<string> PolicyTypes(ClusterObject policy) =>
        [.. policy.Node["spec"]!["policyTypes"]?.AsArray().Select(t => t!.GetValue<string>()) ?? []];

    // Names of settings that carry a credential (env names, ConfigMap keys, config.yaml keys).
    [GeneratedRegex(@"(?i)(password|passwd|secret_?key|access_?key|api_?key|token)")]
    private static partial Regex CredentialName();

    // "Password=…" / "SecretKey=…" with a literal value (not a $(VARIABLE) the pod expands from a Secret).
    [GeneratedRegex(@"(?i)(password|secretkey|accesskey|apikey)=(?!\$\()[^;]+")]
    private static partial Regex CredentialPair();

    [GeneratedRegex(@"^\$\([A-Z0-9_]+\)$")]
    private static partial Regex ExpandsOnly();
}
