using k8s;

namespace DryWet.AppHost.Publishing;

/// <summary>Writes one YAML file per object (<c>&lt;resource&gt;/&lt;kind&gt;.yaml</c>) and a kustomization.yaml listing them.</summary>
public static class KubernetesManifestWriter
{
    public const string KustomizationFile = "kustomization.yaml";

    public static IReadOnlyList<string> Write(IReadOnlyList<KubernetesManifest> manifests, KubernetesPublishOptions options, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var written = new List<string>();
        foreach (var manifest in manifests)
        {
            var relative = $"{manifest.Folder}/{manifest.FileName}";
            WriteAtomically(Path.Combine(outputDirectory, manifest.Folder, manifest.FileName), "---\n" + KubernetesYaml.Serialize(manifest.Object).TrimEnd() + "\n");
            written.Add(relative);
        }

        var kustomization = string.Join('\n',
        [
            "apiVersion: kustomize.config.k8s.io/v1beta1",
            "kind: Kustomization",
            $"namespace: {options.Namespace}",
            "resources:",
            .. written.Select(f => $"- {f}"),
            "",
        ]);
        WriteAtomically(Path.Combine(outputDirectory, KustomizationFile), kustomization);
        written.Add(KustomizationFile);
        return written;
    }

    private static void WriteAtomically(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, content.ReplaceLineEndings("\n"));
        File.Move(temp, path, overwrite: true);
    }
}
