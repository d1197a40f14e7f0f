using System.Globalization;
using DryWet.Core.Storage;

namespace DryWet.Core.Tracking;

/// <summary>
/// LoggedModels in MLflow 3's FileStore layout: <c>&lt;exp&gt;/models/&lt;m-id&gt;/meta.yaml</c> (status PENDING until the
/// files are in, then READY), <c>params/</c>, <c>tags/</c> and the files under <c>artifacts/</c>; the run names it as an
/// output in <c>&lt;exp&gt;/&lt;run&gt;/outputs/&lt;m-id&gt;/meta.yaml</c>.
/// </summary>
internal static class EmbeddedLoggedModels
{
    public const string ModelsFolder = "models";
    public const string OutputsFolder = "outputs";

    public static async Task<LoggedModelInfo> LogAsync(string experimentDir, string experimentId, string runDir, string runId,
        string runModelUri, string packageDirectory, string name, CancellationToken cancellationToken)
    {
        var modelId = "m-" + Guid.NewGuid().ToString("N");
        var modelDir = Path.Combine(experimentDir, ModelsFolder, modelId);
        var artifacts = Path.Combine(modelDir, "artifacts");
        var artifactUri = new Uri(artifacts + "/").AbsoluteUri.TrimEnd('/');
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await WriteMetaAsync(modelDir, modelId, experimentId, name, artifactUri, runId, created, "PENDING", cancellationToken);
        // The run's params, as mlflow's log_model copies them onto the model.
        var runParams = Path.Combine(runDir, "params");
        foreach (var param in Directory.Exists(runParams) ? Directory.EnumerateFiles(runParams, "*", SearchOption.AllDirectories) : [])
        {
            await AtomicFile.CopyAsync(param, Path.Combine(modelDir, "params", Path.GetRelativePath(runParams, param)), cancellationToken);
        }

        await AtomicDirectory.WriteAsync(artifacts, temp =>
        {
            AtomicDirectory.CopyTree(packageDirectory, temp);
            return Task.CompletedTask;
        });
        await WriteMetaAsync(modelDir, modelId, experimentId, name, artifactUri, runId, created, "READY", cancellationToken);
        await AtomicFile.WriteAllTextAsync(Path.Combine(runDir, OutputsFolder, modelId, "meta.yaml"),
            $"destination_id: {modelId}\ndestination_type: MODEL_OUTPUT\nsource_id: {runId}\nsource_type: RUN_OUTPUT\nstep: 0\n", cancellationToken);
        return new LoggedModelInfo(runModelUri, modelId, artifactUri);
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
            var artifacts = Path.Combine(modelDir, "artifacts");
            var files = Directory.Exists(artifacts)
                ? Directory.EnumerateFiles(artifacts, "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(artifacts, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal).ToList()
                : [];
            var paramsDir = Path.Combine(modelDir, "params");
            var parameters = Directory.Exists(paramsDir)
                ? Directory.EnumerateFiles(paramsDir, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetFileName(f).StartsWith('.'))
                    .ToDictionary(f => Path.GetRelativePath(paramsDir, f).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllText)
                : [];
            models.Add(new LoggedModelSnapshot(F("model_id"), F("name"), F("status"), F("artifact_location"),
                EmbeddedRunInputs.Field(meta, "source_run_id"), parameters, files));
        }

        return models;
    }

    private static Task WriteMetaAsync(string modelDir, string modelId, string experimentId, string name, string artifactUri,
        string runId, long created, string status, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(Path.Combine(modelDir, "meta.yaml"), string.Create(CultureInfo.InvariantCulture,
            $"artifact_location: {artifactUri}\ncreation_timestamp: {created}\nexperiment_id: '{experimentId}'\n" +
            $"last_updated_timestamp: {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\nmodel_id: {modelId}\nmodel_type: null\n" +
            $"name: {EmbeddedTrackedRun.YamlString(name)}\nsource_run_id: {runId}\nstatus: {status}\nstatus_message: null\n"), cancellationToken);
}
