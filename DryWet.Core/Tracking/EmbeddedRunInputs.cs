using System.Security.Cryptography;
using System.Text;
using DryWet.Core.Storage;
using YamlDotNet.RepresentationModel;

namespace DryWet.Core.Tracking;

/// <summary>
/// Datasets in MLflow's FileStore layout (mlflow/store/tracking/file_store.py <c>log_inputs</c>):
/// <c>&lt;exp&gt;/datasets/&lt;md5(name + digest)&gt;/meta.yaml</c> holds the dataset once per experiment, and
/// <c>&lt;exp&gt;/&lt;run&gt;/inputs/&lt;md5(dataset id + run id)&gt;/meta.yaml</c> links it to the run with its tags.
/// </summary>
internal static class EmbeddedRunInputs
{
    public const string DatasetsFolder = "datasets";
    public const string InputsFolder = "inputs";

    public static async Task WriteAsync(string experimentDir, string runDir, string runId, TrackedDataset dataset, CancellationToken cancellationToken)
    {
        dataset.Validate();
        var datasetId = Md5(dataset.Name, dataset.Digest);
        var datasetMeta = Path.Combine(experimentDir, DatasetsFolder, datasetId, "meta.yaml");
        if (!File.Exists(datasetMeta))
        {
            await AtomicFile.WriteAllTextAsync(datasetMeta,
                $"digest: {Y(dataset.Digest)}\nname: {Y(dataset.Name)}\nprofile: {Y(dataset.Profile)}\nschema: {Y(dataset.Schema)}\n" +
                $"source: {Y(dataset.Source)}\nsource_type: {Y(dataset.SourceType)}\n", cancellationToken);
        }

        await AtomicFile.WriteAllTextAsync(Path.Combine(runDir, InputsFolder, Md5(datasetId, runId), "meta.yaml"),
            $"destination_id: {runId}\ndestination_type: RUN\nsource_id: {datasetId}\nsource_type: DATASET\n" +
            $"tags:\n  {TrackedDataset.ContextTag}: {Y(dataset.Context)}\n", cancellationToken);
    }

    public static IReadOnlyList<TrackedDataset> Read(string experimentDir, string runDir)
    {
        var inputs = Path.Combine(runDir, InputsFolder);
        if (!Directory.Exists(inputs))
        {
            return [];
        }

        var datasets = new List<TrackedDataset>();
        foreach (var inputMeta in Directory.EnumerateFiles(inputs, "meta.yaml", SearchOption.AllDirectories))
        {
            var input = EmbeddedExperimentTracker.ReadYaml(inputMeta);
            var datasetMeta = Path.Combine(experimentDir, DatasetsFolder, Field(input, "source_id") ?? "", "meta.yaml");
            if (Field(input, "source_type") != "DATASET" || !File.Exists(datasetMeta))
            {
                continue;
            }

            var d = EmbeddedExperimentTracker.ReadYaml(datasetMeta);
            var context = input.Children.TryGetValue(new YamlScalarNode("tags"), out var tags) && tags is YamlMappingNode map
                ? Field(map, TrackedDataset.ContextTag) ?? "" : "";
            datasets.Add(new TrackedDataset(Field(d, "name") ?? "", Field(d, "digest") ?? "", Field(d, "source_type") ?? "",
                Field(d, "source") ?? "", Field(d, "schema"), Field(d, "profile"), context));
        }

        return datasets;
    }

    internal static string? Field(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } s }
            && !(s == "null" && ((YamlScalarNode)v).Style == YamlDotNet.Core.ScalarStyle.Plain) ? s : null;

    private static string Y(string? value) => value is null ? "null" : EmbeddedTrackedRun.YamlString(value);

    private static string Md5(string first, string second) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(first + second)));
}
