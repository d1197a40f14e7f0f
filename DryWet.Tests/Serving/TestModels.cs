using DryWet.Benchmarks.Serving;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Tests.Storage;
using Onnx;
using static DryWet.Benchmarks.Serving.OnnxNodes;

namespace DryWet.Tests.Serving;

/// <summary>
/// Tiny ONNX classifiers with known answers, built with OnnxSharp's protobuf types: global average pool → Gemm, so
/// logit(wet) − logit(dry) = 2k × (mean blue − mean red) in normalized units: "wet when blue outweighs red".
/// Tensor names are deliberately unusual; spatial size fixed or dynamic; logits or probabilities.
/// </summary>
public static class TestModels
{
    public const string InputName = "serving_default/pixels:0";
    public const string OutputName = "StatefulPartitionedCall/scores";

    /// <param name="size">Fixed H×W, or null for dynamic H and W.</param>
    /// <param name="fixedBatch">Fixed batch size, or null for a dynamic batch axis.</param>
    /// <param name="bias">The dense layer's bias (default 0, 0): a constant offset of the two logits.</param>
    public static byte[] BlueVersusRed(float k = 4f, int? size = null, bool probabilities = false, int? fixedBatch = null, float[]? bias = null)
    {
        var graph = new GraphProto { Name = "blue_vs_red" };
        graph.Input.Add(Tensor(InputName, Dim(fixedBatch, "batch"), Dim(3, null), Dim(size, "height"), Dim(size, "width")));
        graph.Initializer.Add(Floats("dense/kernel", [3, 2], [k, -k, 0, 0, -k, k]));
        graph.Initializer.Add(Floats("dense/bias", [2], bias ?? [0, 0]));
        graph.Node.Add(Node("GlobalAveragePool", [InputName], ["pooled"]));
        graph.Node.Add(Node("Flatten", ["pooled"], ["features"], ("axis", 1)));
        var logits = probabilities ? "logits" : OutputName;
        graph.Node.Add(Node("Gemm", ["features", "dense/kernel", "dense/bias"], [logits]));
        if (probabilities)
        {
            graph.Node.Add(Node("Softmax", [logits], [OutputName], ("axis", 1)));
        }

        graph.Output.Add(Tensor(OutputName, Dim(fixedBatch, "batch"), Dim(2, null)));
        return OnnxNodes.Model(graph);
    }

    /// <summary>
    /// A deliberately slow <see cref="BlueVersusRed"/> for a fixed <paramref name="width"/>: the same logits, plus 0 × the
    /// mean of a chain of <paramref name="matMuls"/> [72N, 1024] × [1024, 1024] identity products computed from the input
    /// (about 0.15 GFLOP each), which ONNX Runtime cannot fold away.
    /// </summary>
    public static byte[] SlowBlueVersusRed(float k, int width, int matMuls)
    {
        const int wide = 1024;
        var graph = new GraphProto { Name = "slow_blue_vs_red" };
        graph.Input.Add(Tensor(InputName, Dim(null, "batch"), Dim(3, null), Dim(null, "height"), Dim(width, null)));
        graph.Initializer.Add(Floats("dense/kernel", [3, 2], [k, -k, 0, 0, -k, k]));
        graph.Initializer.Add(Floats("dense/bias", [2], [0, 0]));
        graph.Node.Add(Node("GlobalAveragePool", [InputName], ["pooled"]));
        graph.Node.Add(Node("Flatten", ["pooled"], ["features"], ("axis", 1)));
        graph.Node.Add(Node("Gemm", ["features", "dense/kernel", "dense/bias"], ["logits"]));

        var rows = new TensorProto { Name = "slow/shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        rows.Dims.Add(2);
        rows.Int64Data.AddRange([-1, width]);
        graph.Initializer.Add(rows);
        graph.Initializer.Add(Floats("slow/widen", [width, wide], [.. Enumerable.Repeat(0.01f, width * wide)]));
        graph.Initializer.Add(Floats("slow/identity", [wide, wide], [.. Enumerable.Range(0, wide * wide).Select(i => i / wide == i % wide ? 1f : 0f)]));
        graph.Initializer.Add(Floats("slow/zero", [1], [0]));
        graph.Node.Add(Node("Reshape", [InputName, "slow/shape"], ["slow/rows"]));
        graph.Node.Add(Node("MatMul", ["slow/rows", "slow/widen"], ["slow/0"]));
        for (var i = 0; i < matMuls; i++)
        {
            graph.Node.Add(Node("MatMul", [$"slow/{i}", "slow/identity"], [$"slow/{i + 1}"]));
        }

        graph.Node.Add(Node("ReduceMean", [$"slow/{matMuls}"], ["slow/mean"], ("keepdims", 0)));
        graph.Node.Add(Node("Mul", ["slow/mean", "slow/zero"], ["slow/nothing"]));
        graph.Node.Add(Node("Add", ["logits", "slow/nothing"], [OutputName]));
        graph.Output.Add(Tensor(OutputName, Dim(null, "batch"), Dim(2, null)));
        return OnnxNodes.Model(graph);
    }

    /// <summary>The expected wet probability for an image whose normalized channel means are given.</summary>
    public static double WetProbability(float k, float meanRed, float meanBlue)
    {
        var diff = 2 * k * (meanBlue - meanRed);
        return 1 / (1 + Math.Exp(-diff));
    }

    /// <summary>Writes a DryWet package (MLmodel, model.onnx, config.yaml, labels.json) with the given image size.</summary>
    /// <param name="int8">A graph to ship as the package's model.int8.onnx (named in MLmodel), or null for none.</param>
    public static string WritePackage(string directory, byte[] onnx, int imgSize = 32, float[]? mean = null, float[]? std = null,
        ModelOutputKind output = ModelOutputKind.Logits, byte[]? int8 = null)
    {
        var sources = TestFolders.NewTempDirectory("drywet-test-onnx");
        try
        {
            var onnxPath = Path.Combine(sources, "model.onnx");
            File.WriteAllBytes(onnxPath, onnx);
            var int8Path = int8 is null ? null : Path.Combine(sources, "model.int8.onnx");
            if (int8Path is not null)
            {
                File.WriteAllBytes(int8Path, int8!);
            }

            var config = DryWetConfig.Default;
            config.Training.ImgSize = imgSize;
            config.Normalization.Mean = mean ?? [0.5f, 0.5f, 0.5f];
            config.Normalization.Std = std ?? [0.25f, 0.25f, 0.25f];
            ModelPackage.Write(directory, new ModelPackageContents(onnxPath, config, ["dry", "wet"],
                new Dictionary<string, double> { ["best_val_acc"] = 1.0 }, new Dictionary<string, string>(),
                RunId: "test-run", InputName: InputName, OutputName: OutputName, Output: output, Int8OnnxModelPath: int8Path));
            return directory;
        }
        finally
        {
            TestFolders.DeleteQuietly(sources);
        }
    }

    /// <summary>A foreign package: a bare MLmodel (onnx flavor) and the ONNX file, no config.yaml or labels.json.</summary>
    public static string WriteForeignPackage(string directory, byte[] onnx, string onnxFileName = "classifier.onnx")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, onnxFileName), onnx);
        File.WriteAllText(Path.Combine(directory, "MLmodel"),
            $"artifact_path: model\nflavors:\n  onnx:\n    data: {onnxFileName}\n    onnx_version: 1.15.0\nmlflow_version: 2.20.3\n");
        return directory;
    }
}
