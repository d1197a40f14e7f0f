using System.Globalization;
using System.Text.Json.Nodes;
using DryWet.Core.Storage;
using DryWet.Core.Tracking.Mlflow;

namespace DryWet.Core.Tracking;

/// <summary>
/// LoggedModels in MLflow 3's FileStore layout (mlflow/store/tracking/file_store.py, read back by a real 3.9 server):
/// <c>&lt;exp&gt;/models/&lt;m-id&gt;/meta.yaml</c> (the status as MLflow's FileStore keeps it, an integer: 1 PENDING until the
/// files are in, then 2 READY), <c>params/</c>, <c>tags/</c> and the files under <c>artifacts/</c>; the run names it as an
/// output in <c>&lt;exp&gt;/&lt;run&gt;/outputs/&lt;m-id&gt;/meta.yaml</c> (with its <c>tags:</c> key, which MLflow requires).
/// </summary>
internal static class EmbeddedLoggedModels
{
    public const string ModelsFolder = "models";
    public const string OutputsFolder = "outputs";

    /// <summary>The tag MLflow's server sets on a LoggedModel registered as a version: a JSON list of {name, version}.</summary>
    public const string ModelVersionsTag = "mlflow.modelVersions";

    // mlflow/entities/logged_model_status.py LoggedModelStatus.to_int / from_int.
    private static readonly string[] StatusNames =
        ["LOGGED_MODEL_STATUS_UNSPECIFIED", MlflowLoggedModelStatus.Pending, MlflowLoggedModelStatus.Ready, MlflowLoggedModelStatus.UploadFailed];

    /// <summary>A LoggedModel being logged: created PENDING (with the run's params) before its files are in.</summary>
    public sealed record Pending(string ModelId, string ModelDir, string ExperimentId, string Name, string ArtifactUri, string RunId, long Created);

    public static async Task<Pending> CreateAsync(string experimentDir, string experimentId, string runDir, string runId, string name,
        CancellationToken cancellationToken)
    {
        var modelId = "m-" + Guid.NewGuid().ToString("N");
        var modelDir = Path.Combine(experimentDir, ModelsFolder, modelId);
        var artifactUri = new Uri(Path.Combine(modelDir, "artifacts") + "/").AbsoluteUri.TrimEnd('/');
        var pending = new Pending(modelId, modelDir, experimentId, name, artifactUri, runId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await WriteMetaAsync(pending, status: 1, cancellationToken);
        // The run's params, as mlflow's log_model copies them onto the model.
        var runParams = Path.Combine(runDir, "params");
        foreach (var param in Directory.Exists(runParams) ? Directory.EnumerateFiles(runParams, "*", SearchOption.AllDirectories) : [])
        {
            await AtomicFile.CopyAsync(param, Path.Combine(modelDir, "params", Path.GetRelativePath(runParams, param)), cancellationToken);
        }

        return pending;
    }

    /// <summary>Copies the files in, marks the model READY and names it as the run's output.</summary>
    public static async Task<LoggedModelInfo> CompleteAsync(Pending model, string runDir, string runModelUri, string packageDirectory,
        CancellationToken cancellationToken)
    {
        await AtomicDirectory.WriteAsync(Path.Combine(model.ModelDir, "artifacts"), temp =>
        {
            AtomicDirectory.CopyTree(packageDirectory, temp);
            return Task.CompletedTask;
        });
        await WriteMetaAsync(model, status: 2, cancellationToken);
        // As FileStore.log_outputs writes it: source_id and destination_id both the model id, and a tags mapping.
        await AtomicFile.WriteAllTextAsync(Path.Combine(runDir, OutputsFolder, model.ModelId, "meta.yaml"), OutputMeta(model.ModelId), cancellationToken);
        return new LoggedModelInfo(runModelUri, model.ModelId, model.ArtifactUri);
    }

    /// <summary>A run's <c>outputs/&lt;m-id&gt;/meta.yaml</c>, as FileStore.log_outputs writes it.</summary>
    public static string OutputMeta(string modelId) =>
        $"destination_id: {modelId}\ndestination_type: MODEL_OUTPUT\nsource_id: {modelId}\nsource_type: RUN_OUTPUT\nstep: 0\ntags: {{}}\n";

    /// <summary>The folder of LoggedModel <paramref name="modelId"/> in any experiment under <paramref name="mlrunsRoot"/>, or null.</summary>
    public static string? FindModelDir(string mlrunsRoot, string modelId)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(modelId, "^m-[0-9a-f]{32}$") || !Directory.Exists(mlrunsRoot))
        {
            return null;
        }

        return Directory.EnumerateDirectories(mlrunsRoot)
            .Select(exp => Path.Combine(exp, ModelsFolder, modelId))
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "meta.yaml")));
    }

    /// <summary>
    /// Adds {name, version} to the model's <c>mlflow.modelVersions</c> tag, as MLflow's server does on registration
    /// (observed on 3.9: <c>[{"name": "dry_wet_model", "version": 1}]</c>, the version a JSON number).
    /// </summary>
    public static async Task AddModelVersionAsync(string modelDir, string name, string version, CancellationToken cancellationToken)
    {
        var tagFile = Path.Combine(modelDir, "tags", ModelVersionsTag);
        var versions = File.Exists(tagFile) ? JsonNode.Parse(await File.ReadAllTextAsync(tagFile, cancellationToken))?.AsArray() ?? [] : new JsonArray();
        if (!versions.Any(v => v?["name"]?.GetValue<string>() == name && v?["version"]?.ToString() == version))
        {
            versions.Add(new JsonObject { ["name"] = name, ["version"] = long.Parse(version, CultureInfo.InvariantCulture) });
        }

        await AtomicFile.WriteAllTextAsync(tagFile, PythonJson(versions), cancellationToken);
    }

    public static IReadOnlyList<LoggedModelSnapshot> Read(string experimentDir, string runDir)
    {
        var outputs = Path.Combine(runDir, OutputsFolder);
        if (!Directory.Exists(outputs))
        {
            return [];
        }

        var models = new List<LoggedModelSnapshot>();
        foreach (var output in Directory.EnumerateDirectories(outputs))
        {
            var modelDir = Path.Combine(experimentDir, ModelsFolder, Path.GetFileName(output));
            var metaFile = Path.Combine(modelDir, "meta.yaml");
            if (!File.Exists(metaFile))
            {
                continue;
            }

            var meta = EmbeddedExperimentTracker.ReadYaml(metaFile);
            string F(string key) => EmbeddedRunInputs.Field(meta, key) ?? "";
            models.Add(new LoggedModelSnapshot(F("model_id"), F("name"), StatusName(F("status")), F("artifact_location"),
                EmbeddedRunInputs.Field(meta, "source_run_id"), KeyFiles(Path.Combine(modelDir, "params")),
                Files(Path.Combine(modelDir, "artifacts")))
            {
                Tags = KeyFiles(Path.Combine(modelDir, "tags")),
            });
        }

        return models;
    }

    /// <summary>The REST name of a stored status: MLflow's integer, or the name an older DryWet wrote.</summary>
    private static string StatusName(string stored) =>
        int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < StatusNames.Length ? StatusNames[n]
        : stored is "READY" or "PENDING" ? "LOGGED_MODEL_" + stored
        : stored;

    private static IReadOnlyList<string> Files(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal).ToList()
            : [];

    private static Dictionary<string, string> KeyFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .ToDictionary(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText)
            : [];

    /// <summary>JSON as Python's json.dumps writes it (", " and ": " separators), as MLflow stores the tag.</summary>
    private static string PythonJson(JsonArray versions) =>
        "[" + string.Join(", ", versions.Select(v => "{" + string.Join(", ",
            v!.AsObject().Select(kv => $"{JsonValue.Create(kv.Key).ToJsonString()}: {kv.Value!.ToJsonString()}")) + "}")) + "]";

    // The keys of LoggedModel.to_dictionary() less tags, params and metrics, plus lifecycle_stage, as FileStore writes them.
    private static Task WriteMetaAsync(Pending m, int status, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(Path.Combine(m.ModelDir, "meta.yaml"), string.Create(CultureInfo.InvariantCulture,
            $"artifact_location: {m.ArtifactUri}\ncreation_timestamp: {m.Created}\nexperiment_id: '{m.ExperimentId}'\n" +
            $"last_updated_timestamp: {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\nlifecycle_stage: active\nmodel_id: {m.ModelId}\nmodel_type: null\n" +
            $"name: {EmbeddedTrackedRun.YamlString(m.Name)}\nsource_run_id: {m.RunId}\nstatus: {status}\nstatus_message: null\n"), cancellationToken);
}
