using System.Diagnostics;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

/// <summary>The hand-written ONNX graph computes what TorchSharp computes (eval mode), to ≤ 1e-4 max abs difference.</summary>
[Collection(nameof(TorchSharp))]
public sealed class OnnxExportTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string dir = Init();

    private static string Init()
    {
        TorchTestSupport.EnsureTorch();
        return TorchTestSupport.NewTempDirectory();
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private double ExportAndCompare(EfficientNet net, int imageSize, int batch, string label)
    {
        var path = Path.Combine(dir, $"{label}.onnx");
        OnnxExporter.Export(net, imageSize, path);

        using var scope = NewDisposeScope();
        var input = randn(batch, 3, imageSize, imageSize);
        var expected = TorchTestSupport.TorchLogits(net, input);
        var actual = TorchTestSupport.OnnxLogits(path, input, out var shape);

        shape.ShouldBe([batch, net.NumClasses]);
        // Guard against a vacuous comparison: the logits must vary by well over the tolerance (a B0 after five
        // unseeded steps sometimes spreads only ~2e-3; a broken export is off by about the spread, not by 1e-4).
        var spread = TorchTestSupport.StdDev(expected);
        spread.ShouldBeGreaterThan(10 * Tolerance, "logits are near-constant; the parity check would prove nothing");
        var diff = TorchTestSupport.MaxAbsDiff(expected, actual);
        output.WriteLine($"{label}: batch {batch} at {imageSize}px, max |onnx - torch| = {diff:E2}, logit std = {spread:F3}, max |logit| = {expected.Max(Math.Abs):F3}");
        return diff;
    }

    [Fact]
    public void Tiny_variant_export_matches_TorchSharp_with_randomised_batchnorm()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 2);
        TorchTestSupport.RandomizeAndCalibrateBatchNorm(net, 64);
        ExportAndCompare(net, 64, batch: 4, "tiny").ShouldBeLessThanOrEqualTo(Tolerance);
    }

    [Fact]
    public void Tiny_variant_export_matches_TorchSharp_after_training()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 2);
        TorchTestSupport.TrainBriefly(net, 64, steps: 20, batch: 16, lr: 3e-3);
        ShouldHaveMovedRunningStatistics(net);
        ExportAndCompare(net, 64, batch: 4, "tiny-trained").ShouldBeLessThanOrEqualTo(Tolerance);
    }

    [Fact]
    public void B0_export_matches_TorchSharp_after_a_few_training_steps()
    {
        using var net = new EfficientNet(EfficientNetVariant.B0, numClasses: 2, dropout: 0.5);
        TorchTestSupport.TrainBriefly(net, 64, steps: 5, batch: 8);
        ShouldHaveMovedRunningStatistics(net);
        ExportAndCompare(net, 64, batch: 6, "b0-trained").ShouldBeLessThanOrEqualTo(Tolerance);
    }

    /// <summary>Folding must use the running statistics, so they must differ from their 0/1 start.</summary>
    private static void ShouldHaveMovedRunningStatistics(EfficientNet net)
    {
        var norms = net.modules().OfType<SafeBatchNorm2d>().ToList();
        norms.ShouldNotBeEmpty();
        using TorchSharp.Scalar one = 1; // explicit and alive for the calls (an implicit Scalar can be finalized mid-call)
        norms.ShouldAllBe(bn => bn.RunningVar.sub(one).abs().max().item<float>() > 1e-3f);
        norms.ShouldAllBe(bn => bn.RunningMean.abs().max().item<float>() > 1e-4f);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void B3_export_matches_TorchSharp_at_300_px()
    {
        var clock = Stopwatch.StartNew();
        using var net = new EfficientNet(EfficientNetVariant.B3, numClasses: 2);
        TorchTestSupport.RandomizeAndCalibrateBatchNorm(net, 300, batch: 2);
        ExportAndCompare(net, 300, batch: 2, "b3").ShouldBeLessThanOrEqualTo(Tolerance);
        output.WriteLine($"B3 300px parity test took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Graph_is_IR8_opset17_with_dynamic_batch_and_only_inference_ops()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 2);
        var model = OnnxExporter.Build(net, 48);

        model.IrVersion.ShouldBe(8);
        model.OpsetImport.Single().Version.ShouldBe(17);
        var input = model.Graph.Input.Single();
        input.Name.ShouldBe("input");
        input.Type.TensorType.Shape.Dim.Select(d => d.DimParam).First().ShouldBe("N");
        input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ShouldBe([3L, 48L, 48L]);
        var outputValue = model.Graph.Output.Single();
        outputValue.Name.ShouldBe("logits");
        outputValue.Type.TensorType.Shape.Dim[1].DimValue.ShouldBe(2);

        var ops = model.Graph.Node.Select(n => n.OpType).ToHashSet();
        ops.ShouldBe(["Conv", "Sigmoid", "Mul", "Add", "GlobalAveragePool", "Flatten", "Gemm"], ignoreOrder: true);
        model.Graph.Node.Count(n => n.OpType == "Add").ShouldBe(net.modules().OfType<MBConv>().Count(b => b.UsesResidual));
        var depthwise = model.Graph.Node.Where(n => n.OpType == "Conv" && n.Attribute.Single(a => a.Name == "group").I > 1).ToList();
        depthwise.Count.ShouldBe(net.modules().OfType<MBConv>().Count());
        model.Graph.Node[^1].Output.Single().ShouldBe("logits");
    }

    [Fact]
    public void Exported_graph_accepts_any_batch_size()
    {
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 3);
        net.eval();
        var path = Path.Combine(dir, "dynamic.onnx");
        OnnxExporter.Export(net, 32, path);
        using var scope = NewDisposeScope();
        foreach (var batch in new[] { 1, 5 })
        {
            TorchTestSupport.OnnxLogits(path, randn(batch, 3, 32, 32), out var shape);
            shape.ShouldBe([batch, 3L]);
        }

        ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Name.ShouldBe("EfficientNet");
        Directory.GetFiles(dir).ShouldBe([path]); // written atomically, no temp file left
    }

    [Fact]
    public void Modules_without_an_ONNX_mapping_are_rejected_by_name()
    {
        using var net = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("lstm_like", nn.GELU()));
        var ex = Should.Throw<NotSupportedException>(() => OnnxExporter.Build(net, 16));
        ex.Message.ShouldContain("lstm_like");
        ex.Message.ShouldContain("GELU");
    }
}
