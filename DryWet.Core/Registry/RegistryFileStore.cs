using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using YamlDotNet.RepresentationModel;

namespace DryWet.Core.Registry;

/// <summary>
/// The files of MLflow's file-store model registry (mlflow/store/model_registry/file_store.py), so that
/// <c>mlflow server --backend-store-uri file://&lt;home&gt;/mlruns</c> lists DryWet's registered models:
/// <code>
/// models/&lt;name&gt;/meta.yaml                     name, description, creation/last-updated timestamps
/// models/&lt;name&gt;/aliases/&lt;alias&gt;                the version number
/// models/&lt;name&gt;/version-&lt;n&gt;/meta.yaml           MLflow's ModelVersion fields (version as an integer, model_id)
/// models/&lt;name&gt;/version-&lt;n&gt;/tags/&lt;key&gt;          one file per version tag
/// models/&lt;name&gt;/version-&lt;n&gt;/model/             DryWet's copy of the package (storage_location points here)
/// </code>
/// Only directories named <c>version-*</c> are versions to MLflow, so the copy and the staging folders are invisible to it.
/// </summary>
internal sealed class RegistryFileStore(string modelsRoot)
{
    public const string ModelFolder = "model";
    private const string DeletedStage = "Deleted_Internal";
    private static readonly JsonSerializerOptions YamlText = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Root { get; } = Path.GetFullPath(modelsRoot);

    public string ModelDir(string name) => Path.Combine(Root, name);

    public string VersionDir(string name, string version) => Path.Combine(ModelDir(name), $"version-{version}");

    public string PackageDir(string name, string version) => Path.Combine(VersionDir(name, version), ModelFolder);

    public bool ModelExists(string name) => File.Exists(Path.Combine(ModelDir(name), "meta.yaml"));

    public static string PackageUri(string versionDir) => new Uri(Path.Combine(versionDir, ModelFolder) + "/").AbsoluteUri.TrimEnd('/');

    /// <summary>Creates the registered model's meta.yaml when missing; otherwise moves its last-updated time.</summary>
    /// <param name="folder">The model's folder name when it differs from <paramref name="name"/> (a staging folder).</param>
    public Task TouchModelAsync(string name, long now, CancellationToken cancellationToken, long? created = null, string? folder = null)
    {
        var description = "";
        var meta = Path.Combine(ModelDir(folder ?? name), "meta.yaml");
        if (File.Exists(meta))
        {
            var existing = EmbeddedExperimentTracker.ReadYaml(meta);
            created = long.Parse(Field(existing, "creation_timestamp") ?? now.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            description = Field(existing, "description") ?? "";
        }

        return AtomicFile.WriteAllTextAsync(meta, Yaml(
            ("creation_timestamp", created ?? now), ("description", description), ("last_updated_timestamp", now), ("name", name)), cancellationToken);
    }

    /// <summary>Writes a version's meta.yaml (and its tags folder) into <paramref name="versionDir"/>.</summary>
    /// <param name="storageDir">Where the version folder will be (when writing into a staging folder first).</param>
    public async Task WriteVersionAsync(string versionDir, MlflowModelVersion v, CancellationToken cancellationToken, string? storageDir = null)
    {
        await AtomicFile.WriteAllTextAsync(Path.Combine(versionDir, "meta.yaml"), Yaml(
            ("aliases", Array.Empty<string>()), ("creation_timestamp", v.CreationTimestamp ?? 0), ("current_stage", v.CurrentStage ?? "None"),
            ("deployment_job_state", null), ("description", v.Description ?? ""), ("last_updated_timestamp", v.LastUpdatedTimestamp ?? 0),
            ("model_id", v.ModelId), ("name", v.Name),
            ("run_id", v.RunId), ("run_link", ""), ("source", v.Source ?? ""), ("status", v.Status ?? MlflowModelVersionStatus.Ready),
            ("status_message", v.StatusMessage), ("storage_location", PackageUri(storageDir ?? versionDir)), ("user_id", ""),
            ("version", long.Parse(v.Version, CultureInfo.InvariantCulture))), cancellationToken);
        foreach (var tag in v.Tags ?? [])
        {
            TrackingNames.ValidateKey("version tag", tag.Key);
            await AtomicFile.WriteAllTextAsync(Path.Combine(versionDir, "tags", tag.Key), tag.Value, cancellationToken);
        }
    }

    public MlflowModelVersion? ReadVersion(string name, string version)
    {
        var dir = VersionDir(name, version);
        var metaFile = Path.Combine(dir, "meta.yaml");
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out _) || !File.Exists(metaFile))
        {
            return null;
        }

        var meta = EmbeddedExperimentTracker.ReadYaml(metaFile);
        var stage = Field(meta, "current_stage") ?? "None";
        if (stage == DeletedStage)
        {
            return null;
        }

        var tagsDir = Path.Combine(dir, "tags");
        var tags = Directory.Exists(tagsDir)
            ? Directory.EnumerateFiles(tagsDir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Select(f => new MlflowTag(Path.GetRelativePath(tagsDir, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText(f)))
                .OrderBy(t => t.Key, StringComparer.Ordinal).ToList()
            : [];
        long? Long(string key) => long.TryParse(Field(meta, key), CultureInfo.InvariantCulture, out var l) ? l : null;
        return new MlflowModelVersion(Field(meta, "name") ?? name, version, Long("creation_timestamp"), Long("last_updated_timestamp"),
            stage, Field(meta, "description") ?? "", Field(meta, "source"), Field(meta, "run_id"),
            Field(meta, "status") ?? MlflowModelVersionStatus.Ready, Field(meta, "status_message"), null, tags, Field(meta, "model_id"));
    }

    public IReadOnlyList<MlflowModelVersion> AllVersions(string name) =>
        Directory.Exists(ModelDir(name))
            ? Directory.EnumerateDirectories(ModelDir(name), "version-*")
                .Select(d => Path.GetFileName(d)["version-".Length..])
                .Select(v => ReadVersion(name, v))
                .OfType<MlflowModelVersion>()
                .ToList()
            : [];

    /// <summary>Alias → version number, from <c>aliases/</c>.</summary>
    public IReadOnlyDictionary<string, string> Aliases(string name)
    {
        var dir = Path.Combine(ModelDir(name), "aliases");
        return Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.'))
                .ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f).Trim(), StringComparer.Ordinal)
            : new Dictionary<string, string>();
    }

    public Task WriteAliasAsync(string name, string alias, string version, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(Path.Combine(ModelDir(name), "aliases", alias), version, cancellationToken);

    private static string? Field(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } s } scalar
            && !(scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && s is "null" or "~") ? s : null;

    /// <summary>YAML as PyYAML's safe_dump reads it: keys in order, strings double-quoted (JSON escapes are YAML escapes).</summary>
    private static string Yaml(params (string Key, object? Value)[] fields)
    {
        var yaml = new StringBuilder();
        foreach (var (key, value) in fields)
        {
            var text = value switch
            {
                null => "null",
                long l => l.ToString(CultureInfo.InvariantCulture),
                string[] { Length: 0 } => "[]",
                string s => JsonSerializer.Serialize(s, YamlText),
                _ => throw new ArgumentOutOfRangeException(nameof(fields), value, "unsupported YAML value"),
            };
            yaml.Append(key).Append(": ").Append(text).Append('\n');
        }

        return yaml.ToString();
    }
}
