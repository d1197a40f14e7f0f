using k8s;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// Writes one YAML file per object (<c>&lt;resource&gt;/&lt;kind&gt;.yaml</c>) and a kustomization.yaml listing them. When
/// pods read the user's Secret, the kustomization generates it from <c>.env</c> (which the user writes and git
/// ignores: the output's .gitignore says so) and <c>.env.example</c> lists its keys, with empty values.
/// </summary>
public static class KubernetesManifestWriter
{
    public const string KustomizationFile = "kustomization.yaml";
    public const string EnvExampleFile = ".env.example";

    public static IReadOnlyList<string> Write(KubernetesPublishResult result, KubernetesPublishOptions options, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var resources = new List<string>();
        foreach (var manifest in result.Manifests)
        {
            var relative = $"{manifest.Folder}/{manifest.FileName}";
            WriteAtomically(Path.Combine(outputDirectory, manifest.Folder, manifest.FileName), "---\n" + KubernetesYaml.Serialize(manifest.Object).TrimEnd() + "\n");
            resources.Add(relative);
        }

        List<string> kustomization =
        [
            "apiVersion: kustomize.config.k8s.io/v1beta1",
            "kind: Kustomization",
            $"namespace: {options.Namespace}",
            "resources:",
            .. resources.Select(f => $"- {f}"),
        ];
        var written = new List<string>(resources);
        if (result.UserSecret is { } secret)
        {
            kustomization.AddRange(
            [
                "# The keys come from .env (see .env.example); kubectl apply -k fails without it. Nothing secret is in this folder.",
                "secretGenerator:",
                $"- name: {secret.Name}",
                "  envs:",
                $"  - {secret.EnvFile}",
            ]);
            WriteAtomically(Path.Combine(outputDirectory, EnvExampleFile), EnvExample(secret));
            WriteAtomically(Path.Combine(outputDirectory, ".gitignore"), $"# Secret values for the {secret.Name} Secret: never commit them.\n{secret.EnvFile}\n");
            written.AddRange([EnvExampleFile, ".gitignore"]);
        }

        WriteAtomically(Path.Combine(outputDirectory, KustomizationFile), string.Join('\n', kustomization) + "\n");
        written.Add(KustomizationFile);
        return written;
    }

    /// <summary>
    /// The keys, commented out: a copy nobody filled in gives pods no key, and they fail to start
    /// (CreateContainerConfigError) instead of running with an empty admin key.
    /// </summary>
    private static string EnvExample(KubernetesUserSecret secret)
    {
        var lines = new List<string>
        {
            $"# Copy to {secret.EnvFile} (git-ignored) and set every key below (without the leading #); `kubectl apply -k .`",
            $"# turns {secret.EnvFile} into Secret {secret.Name}. A key left out keeps the pods that read it from starting.",
            "# A random key: openssl rand -hex 24",
        };
        foreach (var key in secret.Keys)
        {
            lines.Add($"# {key.Key}: read by {string.Join(", ", key.UsedBy)}");
            lines.Add($"#{key.Key}=");
        }

        return string.Join('\n', lines) + "\n";
    }

    private static void WriteAtomically(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, content.ReplaceLineEndings("\n"));
        File.Move(temp, path, overwrite: true);
    }
}
