using System.Text.Json.Nodes;

namespace DryWet.Tests.Security;

/// <summary>
/// The Kubernetes Pod Security Standard's <i>restricted</i> profile (and DryWet's additions: a read-only root
/// filesystem, no service-account token, CPU and memory limits), checked on a pod spec. Returns what is wrong.
/// </summary>
internal static class RestrictedProfile
{
    // The profile's allowed volume types.
    private static readonly HashSet<string> AllowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    public static List<string> Violations(JsonObject podSpec)
    {
        var errors = new List<string>();
        var pod = podSpec["securityContext"];
        if (podSpec["automountServiceAccountToken"]?.GetValue<bool>() != false) errors.Add("automountServiceAccountToken is not false");
        foreach (var host in new[] { "hostNetwork", "hostPID", "hostIPC" })
        {
            if (podSpec[host]?.GetValue<bool>() == true) errors.Add($"{host} is true");
        }

        foreach (var volume in podSpec["volumes"]?.AsArray().OfType<JsonObject>() ?? [])
        {
            var type = volume.Select(p => p.Key).FirstOrDefault(k => k != "name");
            if (type is null || !AllowedVolumes.Contains(type)) errors.Add($"volume {volume["name"]} is of type {type}");
        }

        var containers = (podSpec["containers"]?.AsArray() ?? []).Concat(podSpec["initContainers"]?.AsArray() ?? []).OfType<JsonObject>().ToList();
        if (containers.Count == 0) errors.Add("no containers");
        foreach (var container in containers)
        {
            var name = container["name"]?.GetValue<string>();
            var security = container["securityContext"];
            bool? Flag(JsonNode? context, string field) => context?[field]?.GetValue<bool>();
            if ((Flag(security, "runAsNonRoot") ?? Flag(pod, "runAsNonRoot")) != true) errors.Add($"{name}: runAsNonRoot is not true");
            if ((security?["runAsUser"] ?? pod?["runAsUser"])?.ToString() == "0") errors.Add($"{name}: runAsUser is 0");
            var seccomp = (security?["seccompProfile"] ?? pod?["seccompProfile"])?["type"]?.GetValue<string>();
            if (seccomp is not ("RuntimeDefault" or "Localhost")) errors.Add($"{name}: seccompProfile.type is {seccomp ?? "unset"}");
            if (Flag(security, "allowPrivilegeEscalation") != false) errors.Add($"{name}: allowPrivilegeEscalation is not false");
            if (Flag(security, "privileged") == true) errors.Add($"{name}: privileged");
            if (Flag(security, "readOnlyRootFilesystem") != true) errors.Add($"{name}: readOnlyRootFilesystem is not true");
            var drop = security?["capabilities"]?["drop"]?.AsArray().Select(c => c!.GetValue<string>()) ?? [];
            if (!drop.Contains("ALL")) errors.Add($"{name}: capabilities.drop lacks ALL");
            var add = security?["capabilities"]?["add"]?.AsArray().Select(c => c!.GetValue<string>()).Where(c => c != "NET_BIND_SERVICE").ToList() ?? [];
            if (add.Count > 0) errors.Add($"{name}: adds capabilities {string.Join(", ", add)}");
            var limits = container["resources"]?["limits"];
            if (limits?["cpu"] is null || limits["memory"] is null) errors.Add($"{name}: no CPU and memory limits");
            if (container["ports"]?.AsArray().Any(p => p?["hostPort"] is not null) == true) errors.Add($"{name}: uses a hostPort");
        }

        return errors;
    }
}
