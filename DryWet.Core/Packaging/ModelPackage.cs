using System.Globalization;
using System.Text.Json;
using DryWet.Core.Configuration;
using DryWet.Core.Storage;
using YamlDotNet.RepresentationModel;

namespace DryWet.Core.Packaging;

/// <summary>
/// The model package both sides share: an MLflow-style model directory that MLflow's own tools accept
/// (<c>MLmodel</c> with onnx + python_function flavors) and that DryWet.Serving loads unchanged.
/// <code>
/// MLmodel  model.onnx  [model.int8.onnx]  config.yaml  labels.json  metrics.json  classification_report.txt  confusion_matrix.txt
/// conda.yaml  python_env.yaml  requirements.txt  input_example.json  serving_input_example.json
/// </code>
/// The INT8 graph is named in MLmodel <c>metadata.int8</c>; whether the promotion gate vouched for it, in
/// <c>metadata.int8_gate</c> (<see cref="Int8Verdict"/>, written after the gate's evaluation).
/// Only <c>MLmodel</c> and the ONNX file it names are required; a foreign package without config.yaml is served with
/// the original's fallback (224 px, ImageNet mean/std) and without labels.json with ["dry", "wet"].
/// </summary>
public sealed class ModelPackage
{
    public const string MLmodelFile = "MLmodel";
    public const string DefaultOnnxFile = "model.onnx";
    public const string Int8OnnxFile = "model.int8.onnx";
    public const string ConfigFile = "config.yaml";
    public const string LabelsFile = "labels.json";
    public const string MetricsFile = "metrics.json";
    public const string InputExampleFile = "input_example.json";
    public const string ServingInputExampleFile = "serving_input_example.json";
    public static readonly IReadOnlyList<string> DefaultLabels = ["dry", "wet"];

    /// <summary>The MLflow release DryWet's files and REST calls follow (its MLmodel's <c>mlflow_version</c>).</summary>
    public const string TargetMlflowVersion = "3.9.0";

    private ModelPackage(string directory, string onnxPath, DryWetConfig config, bool hasConfig,
        IReadOnlyList<string> labels, ModelOutputKind? output, string? runId, string? createdUtc, string? int8OnnxPath, string? int8Gate)
    {
        Int8OnnxPath = int8OnnxPath;
        Int8Gate = int8Gate;
        Output = output;
        Directory = directory;
        OnnxPath = onnxPath;
        Config = config;
        HasConfig = hasConfig;
        Labels = labels;
        RunId = runId;
        CreatedUtc = createdUtc;
    }

    public string Directory { get; }
    public string OnnxPath { get; }
    /// <summary>The statically quantized (QDQ) graph, MLmodel <c>metadata.int8</c>; null when the package has none.</summary>
    public string? Int8OnnxPath { get; }
    /// <summary>The gate's <see cref="Int8Verdict"/> on the INT8 graph (MLmodel <c>metadata.int8_gate</c>); null when no gate judged it.</summary>
    public string? Int8Gate { get; }
    /// <summary>The preprocessing and training config; <see cref="DryWetConfig.Default"/> when the package has none.</summary>
    public DryWetConfig Config { get; }
    public bool HasConfig { get; }
    /// <summary>Class names in output order (index 0 = first logit).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Whether the output rows are logits or probabilities (MLmodel <c>metadata.output</c>); null when the package does not say.</summary>
    public ModelOutputKind? Output { get; }
    public string? RunId { get; }
    public string? CreatedUtc { get; }

    /// <summary>Reads and validates a package. Throws <see cref="DryWetException"/> saying which file is wrong and why.</summary>
    public static ModelPackage Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DryWetException($"Model package folder '{directory}' does not exist.");
        }

        var mlmodelPath = Path.Combine(directory, MLmodelFile);
        if (!File.Exists(mlmodelPath))
        {
            throw new DryWetException($"'{directory}' is not a model package: it has no {MLmodelFile} file (an MLflow model directory with the onnx flavor is expected).");
        }

        var mlmodel = ReadYaml(mlmodelPath);
        var onnxData = Scalar(mlmodel, "flavors", "onnx", "data")
            ?? throw new DryWetException($"{mlmodelPath} has no onnx flavor (flavors.onnx.data); DryWet serves ONNX models only.");
        var onnxPath = PackageFile(directory, mlmodelPath, onnxData, "flavors.onnx.data");
        var int8Data = Scalar(mlmodel, "metadata", "int8");
        var int8Path = int8Data is null ? null : PackageFile(directory, mlmodelPath, int8Data, "metadata.int8");
        var int8Gate = Int8Verdict.Parse(Scalar(mlmodel, "metadata", "int8_gate"), $"{mlmodelPath}: metadata.int8_gate");

        var configPath = Path.Combine(directory, ConfigFile);
        var hasConfig = File.Exists(configPath);
        var config = hasConfig ? DryWetConfig.Load(configPath) : DryWetConfig.Default;

        var labelsPath = Path.Combine(directory, LabelsFile);
        IReadOnlyList<string> labels = DefaultLabels;
        if (File.Exists(labelsPath))
        {
            try
            {
                labels = JsonSerializer.Deserialize<string[]>(File.ReadAllText(labelsPath)) ?? [];
            }
            catch (JsonException ex)
            {
                throw new DryWetException($"{labelsPath} must be a JSON array of class names, e.g. [\"dry\", \"wet\"]: {ex.Message}", ex);
            }

            if (labels.Count < 2 || labels.Any(string.IsNullOrWhiteSpace) || labels.Distinct().Count() != labels.Count)
            {
                throw new DryWetException($"{labelsPath} must list at least two distinct, non-empty class names; found [{string.Join(", ", labels)}].");
            }
        }

        var outputText = Scalar(mlmodel, "metadata", "output");
        ModelOutputKind? output = outputText switch
        {
            null => null,
            "logits" => ModelOutputKind.Logits,
            "probabilities" => ModelOutputKind.Probabilities,
            _ => throw new DryWetException($"{mlmodelPath}: metadata.output = '{outputText}' is not valid: use 'logits' or 'probabilities'."),
        };

        return new ModelPackage(directory, onnxPath, config, hasConfig, labels, output,
            Scalar(mlmodel, "run_id"), Scalar(mlmodel, "utc_time_created"), int8Path, int8Gate);
    }

    /// <summary>A file MLmodel names at <paramref name="key"/>: inside the package and present.</summary>
    private static string PackageFile(string directory, string mlmodelPath, string name, string key)
    {
        var path = Path.GetFullPath(Path.Combine(directory, name));
        if (!AtomicDirectory.Contains(directory, path))
        {
            throw new DryWetException($"{mlmodelPath}: {key} = '{name}' points outside the package.");
        }

        return File.Exists(path) ? path : throw new DryWetException($"{mlmodelPath} names '{name}' ({key}) but that file is missing.");
    }

    /// <summary>
    /// Writes a package into <paramref name="directory"/> atomically: everything goes to a sibling temp folder which is
    /// renamed into place at the end, so a failure leaves nothing half-written. What is already there is replaced only
    /// when it may be (<see cref="EnsureReplaceable"/>).
    /// </summary>
    /// <param name="force">Replace whatever folder is there (the user said so: <c>train --force</c>).</param>
    public static ModelPackage Write(string directory, ModelPackageContents contents, bool force = false)
    {
        EnsureReplaceable(directory, force);
        AtomicDirectory.Write(directory, temp => WriteFiles(temp, contents));
        return Load(directory);
    }

    /// <summary>
    /// Copies the package in <paramref name="staged"/> to <paramref name="directory"/> atomically (a sibling temp folder
    /// and a rename), replacing what is there only when it may be (<see cref="EnsureReplaceable"/>).
    /// </summary>
    public static ModelPackage Publish(string staged, string directory, bool force = false)
    {
        EnsureReplaceable(directory, force);
        AtomicDirectory.Write(directory, temp => AtomicDirectory.CopyTree(staged, temp));
        return Load(directory);
    }

    /// <summary>
    /// Throws a <see cref="DryWetException"/> naming <paramref name="directory"/> unless writing a package there loses
    /// nothing DryWet did not write: it does not exist, is an empty folder, or is a model package (it has an
    /// <c>MLmodel</c> file). <paramref name="force"/> allows replacing any folder; a file is never replaced.
    /// </summary>
    public static void EnsureReplaceable(string directory, bool force = false) =>
        AtomicDirectory.EnsureReplaceable(directory, MLmodelFile, "a model package", force);

    private static void WriteFiles(string temp, ModelPackageContents contents)
    {
        File.Copy(contents.OnnxModelPath, Path.Combine(temp, DefaultOnnxFile));
        if (contents.Int8OnnxModelPath is { } int8)
        {
            File.Copy(int8, Path.Combine(temp, Int8OnnxFile));
        }
        File.WriteAllText(Path.Combine(temp, ConfigFile), contents.Config.ToYaml());
        File.WriteAllText(Path.Combine(temp, LabelsFile), JsonSerializer.Serialize(contents.Labels));
        File.WriteAllText(Path.Combine(temp, MetricsFile),
            JsonSerializer.Serialize(contents.Metrics, new JsonSerializerOptions { WriteIndented = true }));
        foreach (var (name, text) in contents.ExtraFiles)
        {
            File.WriteAllText(Path.Combine(temp, name), text);
        }

        WriteInputExample(temp, contents.Config.Training.ImgSize);
        File.WriteAllText(Path.Combine(temp, MLmodelFile), MLmodelText(contents, new FileInfo(contents.OnnxModelPath).Length));
        File.WriteAllText(Path.Combine(temp, "conda.yaml"),
            "channels:\n- conda-forge\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - mlflow\n  - onnx\n  - onnxruntime\nname: mlflow-env\n");
        File.WriteAllText(Path.Combine(temp, "python_env.yaml"),
            "python: 3.11\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n");
        File.WriteAllText(Path.Combine(temp, "requirements.txt"), "mlflow\nonnx\nonnxruntime\n");
    }

    /// <summary>
    /// Names the LoggedModel in the package's MLmodel (<c>model_id: m-…</c>, as MLflow 3's log_model writes it), keeping
    /// the top-level keys in PyYAML's sorted order; a model_id already there is replaced. Written atomically.
    /// </summary>
    public static async Task SetModelIdAsync(string directory, string modelId, CancellationToken cancellationToken = default)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(modelId, "^m-[0-9a-f]{32}$"))
        {
            throw new DryWetException($"'{modelId}' is not an MLflow LoggedModel id (m- and 32 hex digits).");
        }

        var path = Path.Combine(directory, MLmodelFile);
        var lines = (await File.ReadAllLinesAsync(path, cancellationToken)).Where(l => !l.StartsWith("model_id:", StringComparison.Ordinal)).ToList();
        static bool TopLevel(string line) => line.Length > 0 && !char.IsWhiteSpace(line[0]) && line[0] != '-' && line.Contains(':');
        var at = lines.FindIndex(l => TopLevel(l) && string.CompareOrdinal(l[..l.IndexOf(':')], "model_id") > 0);
        lines.Insert(at < 0 ? lines.Count : at, $"model_id: {modelId}");
        await Storage.AtomicFile.WriteAllTextAsync(path, string.Join('\n', lines) + "\n", cancellationToken);
    }

    /// <summary>
    /// Records the gate's verdict on the package's INT8 graph as MLmodel <c>metadata.int8_gate</c> (replacing one already
    /// there), written atomically. The package must have an INT8 graph.
    /// </summary>
    public static async Task SetInt8VerdictAsync(string directory, bool vouched, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(directory, MLmodelFile);
        var lines = (await File.ReadAllLinesAsync(path, cancellationToken)).Where(l => !l.StartsWith("  int8_gate:", StringComparison.Ordinal)).ToList();
        var at = lines.FindIndex(l => l.StartsWith("  int8:", StringComparison.Ordinal));
        if (at < 0)
        {
            throw new DryWetException($"{path} names no INT8 graph (metadata.int8), so there is nothing to vouch for.");
        }

        lines.Insert(at + 1, $"  int8_gate: {Int8Verdict.Of(vouched)}");
        await Storage.AtomicFile.WriteAllTextAsync(path, string.Join('\n', lines) + "\n", cancellationToken);
    }

    private static string MLmodelText(ModelPackageContents c, long onnxSize)
    {
        var size = c.Config.Training.ImgSize;
        var inputs = $"[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": [-1, 3, {size}, {size}]}}, \"name\": \"{c.InputName}\"}}]";
        var outputs = $"[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": [-1, {c.Labels.Count}]}}, \"name\": \"{c.OutputName}\"}}]";
        var created = (c.CreatedUtc ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        List<string> lines =
        [
            "artifact_path: model",
            "flavors:",
            "  onnx:",
            "    code: null",
            $"    data: {DefaultOnnxFile}",
            "    onnx_version: 1.16.0",
            "    providers:",
            "    - CUDAExecutionProvider",
            "    - CPUExecutionProvider",
            "  python_function:",
            $"    data: {DefaultOnnxFile}",
            "    env:",
            "      conda: conda.yaml",
            "      virtualenv: python_env.yaml",
            "    loader_module: mlflow.onnx",
            "    python_version: 3.11.9",
            "metadata:",
            "  producer: drywet",
            $"  labels: [{string.Join(", ", c.Labels)}]",
            $"  architecture: {c.Config.Model.Architecture}",
            $"  output: {(c.Output == ModelOutputKind.Logits ? "logits" : "probabilities")}",
            .. c.Int8OnnxModelPath is null ? Array.Empty<string>() : [$"  int8: {Int8OnnxFile}"],
            $"mlflow_version: {TargetMlflowVersion}",
            $"model_size_bytes: {onnxSize}",
            $"model_uuid: {Guid.NewGuid():N}",
        ];
        if (c.RunId is not null)
        {
            lines.Add($"run_id: {c.RunId}");
        }

        // As mlflow's _Example writes an ndarray example: {"inputs": [...]} in tf-serving format, plus the same body ready
        // for `mlflow models serve`'s /invocations.
        lines.Add("saved_input_example_info:");
        lines.Add($"  artifact_path: {InputExampleFile}");
        lines.Add("  format: tf-serving");
        lines.Add($"  serving_input_path: {ServingInputExampleFile}");
        lines.Add("  type: ndarray");
        lines.Add("signature:");
        lines.Add($"  inputs: '{inputs}'");
        lines.Add($"  outputs: '{outputs}'");
        lines.Add($"utc_time_created: '{created}'");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// One input the signature accepts: a 1×3×S×S float32 tensor of zeros, which after the package's normalisation is
    /// the mean image (not any user's picture, so nothing private goes into the package).
    /// </summary>
    private static void WriteInputExample(string directory, int size)
    {
        var row = "[" + string.Join(", ", Enumerable.Repeat("0.0", size)) + "]";
        var plane = "[" + string.Join(", ", Enumerable.Repeat(row, size)) + "]";
        var body = "{\"inputs\": [[" + string.Join(", ", Enumerable.Repeat(plane, 3)) + "]]}";
        File.WriteAllText(Path.Combine(directory, InputExampleFile), body);
        File.WriteAllText(Path.Combine(directory, ServingInputExampleFile), body);
    }

    private static YamlMappingNode ReadYaml(string path)
    {
        try
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(path);
            stream.Load(reader);
            return stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
                ?? throw new DryWetException($"{path} is empty or not a YAML mapping.");
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new DryWetException($"{path} is not valid YAML (line {ex.Start.Line}): {ex.Message}", ex);
        }
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current is YamlScalarNode { Value: { } v } && v != "null" ? v : null;
    }
}

/// <summary>What goes into a package written by the trainer.</summary>
public sealed record ModelPackageContents(
    string OnnxModelPath,
    DryWetConfig Config,
    IReadOnlyList<string> Labels,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, string> ExtraFiles,
    string? RunId = null,
    string InputName = "input",
    string OutputName = "logits",
    DateTimeOffset? CreatedUtc = null,
    // The trainer's export ends in the classifier's Linear layer: logits.
    ModelOutputKind Output = ModelOutputKind.Logits,
    // The statically quantized graph written beside the fp32 one (model.int8.onnx), if any.
    string? Int8OnnxModelPath = null);
