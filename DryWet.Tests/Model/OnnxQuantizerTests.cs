using System.Runtime.InteropServices;
using DryWet.Tests.Serving;
using DryWet.TrainingWorker.Export;
using DryWet.TrainingWorker.Model;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using static TorchSharp.torch;

namespace DryWet.Tests.Model;

/// <summary>
/// The QDQ INT8 graph the trainer writes beside the fp32 one: every quantized tensor within half a quantization step
/// of its float value (weights, biases and, run by ONNX Runtime, every activation), and the whole graph, run as
/// serving runs it (all optimisations: QLinearConv/QGemm), agreeing with fp32 on held-out images.
/// </summary>
[Collection(nameof(TorchSharp))]
public sealed class OnnxQuantizerTests(ITestOutputHelper output) : IDisposable
{
    private const int Size = 32;
    private readonly string _dir = Init();

    private static string Init()
    {
        TorchTestSupport.EnsureTorch();
        return TorchTestSupport.NewTempDirectory();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Trained_tiny_EfficientNet_int8_agrees_with_fp32_on_held_out_images()
    {
        var (fp32, int8) = TrainedTinyPair(out _);
        var held = Images(64, seed: 2);
        var expected = Logits(fp32, held);
        var actual = Logits(int8, held);

        var agree = expected.Zip(actual).Count(p => ArgMax(p.First) == ArgMax(p.Second));
        var spread = TorchTestSupport.StdDev(expected.SelectMany(l => l).ToArray());
        var diff = TorchTestSupport.MaxAbsDiff(expected.SelectMany(l => l).ToArray(), actual.SelectMany(l => l).ToArray());
        output.WriteLine($"argmax agreement {agree}/{held.Count}; max |int8 - fp32| logit {diff:F4}, fp32 logit std {spread:F4}");
        spread.ShouldBeGreaterThan(0.1, "near-constant logits would make the comparison vacuous");
        // Stated levels: ≥ 95 % of the held-out images get the same class, and no logit moves by more than a third of the logits' spread.
        agree.ShouldBeGreaterThanOrEqualTo(61);
        diff.ShouldBeLessThan(spread / 3);
    }

    [Fact]
    public void Quantized_graph_is_QDQ_with_int8_per_channel_7_bit_weights_and_int32_biases_within_half_a_step()
    {
        var (fp32, int8) = TrainedTinyPair(out _);
        var floats = fp32.Graph.Initializer.ToDictionary(t => t.Name);
        var initializers = int8.Graph.Initializer.ToDictionary(t => t.Name);
        var producers = int8.Graph.Node.ToDictionary(n => n.Output[0]);
        var quantized = int8.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList();
        quantized.Count.ShouldBe(fp32.Graph.Node.Count(n => n.OpType is "Conv" or "Gemm"));
        var original = fp32.Graph.Node.Where(n => n.OpType is "Conv" or "Gemm").ToList();

        for (var i = 0; i < quantized.Count; i++)
        {
            var node = quantized[i];
            producers[node.Input[0]].OpType.ShouldBe("DequantizeLinear", $"{node.Name}: input activation");
            var w = producers[node.Input[1]];
            w.OpType.ShouldBe("DequantizeLinear");
            w.Attribute.Single(a => a.Name == "axis").I.ShouldBe(0);
            var q = initializers[w.Input[0]];
            q.DataType.ShouldBe((int)TensorProto.Types.DataType.Int8);
            var values = MemoryMarshal.Cast<byte, sbyte>(q.RawData.Span).ToArray();
            var scales = MemoryMarshal.Cast<byte, float>(initializers[w.Input[1]].RawData.Span).ToArray();
            MemoryMarshal.Cast<byte, sbyte>(initializers[w.Input[2]].RawData.Span).ToArray().ShouldAllBe(z => z == 0);
            values.ShouldAllBe(v => v >= -OnnxQuantizer.WeightLimit && v <= OnnxQuantizer.WeightLimit, "7-bit: no u8×s8 pair can saturate 16 bits on AVX2");
            var reference = Raw(floats[original[i].Input[1]]);
            var perChannel = reference.Length / scales.Length;
            for (var j = 0; j < reference.Length; j++)
            {
                Math.Abs((double)values[j] * scales[j / perChannel] - reference[j]).ShouldBeLessThanOrEqualTo(scales[j / perChannel] / 2 + 1e-7, $"{node.Name} weight {j}");
            }

            var b = producers[node.Input[2]];
            initializers[b.Input[0]].DataType.ShouldBe((int)TensorProto.Types.DataType.Int32);
            var biasQ = MemoryMarshal.Cast<byte, int>(initializers[b.Input[0]].RawData.Span).ToArray();
            var biasScales = MemoryMarshal.Cast<byte, float>(initializers[b.Input[1]].RawData.Span).ToArray();
            var biasReference = Raw(floats[original[i].Input[2]]);
            for (var c = 0; c < biasReference.Length; c++)
            {
                Math.Abs(biasQ[c] * (double)biasScales[c] - biasReference[c]).ShouldBeLessThanOrEqualTo(biasScales[c] / 2 + 1e-7, $"{node.Name} bias {c}");
            }
        }

        int8.Graph.Initializer.ShouldNotContain(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count > 1, "no float weight matrix is left");
    }

    [Fact]
    public void Every_activation_ONNX_Runtime_quantizes_is_within_half_a_step_of_its_float_value()
    {
        var (_, int8) = TrainedTinyPair(out var calibration);
        var pairs = int8.Graph.Node.Where(n => n.OpType == "QuantizeLinear").ToList();
        pairs.Count.ShouldBeGreaterThan(10);
        var initializers = int8.Graph.Initializer.ToDictionary(t => t.Name);
        var dequantizers = int8.Graph.Node.Where(n => n.OpType == "DequantizeLinear").ToDictionary(n => n.Input[0]);

        // Expose each quantized tensor and its dequantized twin; basic optimisations keep the Q/DQ pairs unfused.
        var probe = int8.Clone();
        var watched = pairs.SelectMany(q => new[] { q.Input[0], dequantizers[q.Output[0]].Output[0] }).Distinct()
            .Where(n => n != OnnxExporter.InputName).ToList();
        foreach (var name in watched)
        {
            probe.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var image = calibration[0]; // one of the calibration images: its fp32 values lie inside the ranges
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, new DenseTensor<float>(image, [1, 3, Size, Size]))], watched);
        var values = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
        values[OnnxExporter.InputName] = image;

        var worstOvershoot = 0f;
        foreach (var q in pairs)
        {
            var scale = MemoryMarshal.Cast<byte, float>(initializers[q.Input[1]].RawData.Span)[0];
            var zero = initializers[q.Input[2]].RawData[0];
            var (low, high) = ((0 - zero) * scale, (255 - zero) * scale);
            var x = values[q.Input[0]];
            var dq = values[dequantizers[q.Output[0]].Output[0]];
            // Inside the calibrated grid: rounding only, at most half a step. Outside it (upstream quantization can push
            // a value a little past what the fp32 graph reached on this image, e.g. SiLU's minimum): clipped to the
            // grid's end, so the error is that distance, which must stay small against the range.
            var overshoot = x.Max(v => Math.Max(0, Math.Max(low - v, v - high)));
            overshoot.ShouldBeLessThanOrEqualTo(0.1f * (high - low), $"activation '{q.Input[0]}': a value far beyond [{low}, {high}]");
            var worstRounding = x.Select((v, i) => Math.Abs(v - dq[i]) - Math.Max(0, Math.Max(low - v, v - high))).Max();
            worstRounding.ShouldBeLessThanOrEqualTo(scale / 2 + 1e-5f * Math.Max(1, high - low), $"activation '{q.Input[0]}' (scale {scale})");

            worstOvershoot = Math.Max(worstOvershoot, overshoot / (high - low));
        }

        output.WriteLine($"{pairs.Count} quantized activations; largest overshoot past a calibrated range: {worstOvershoot:P2} of that range");
    }

    [Fact]
    public void A_foreign_Gemm_graph_without_transB_is_quantized_per_tensor_and_answers_as_fp32()
    {
        var fp32 = ModelProto.Parser.ParseFrom(TestModels.BlueVersusRed(k: 4f, size: 16));
        var images = Enumerable.Range(0, 16).Select(i => RandomImage(16, seed: 10 + i)).ToList();
        var ranges = ActivationCalibrator.Calibrate(fp32, OnnxQuantizer.ActivationsToCalibrate(fp32), images, 16, 16, TestContext.Current.CancellationToken);
        var int8 = OnnxQuantizer.Quantize(fp32, ranges);

        int8.Graph.Node.Single(n => n.OpType == "DequantizeLinear" && n.Output[0].StartsWith("dense/kernel", StringComparison.Ordinal))
            .Attribute.ShouldBeEmpty("a [in, out] Gemm weight has one scale");
        using var a = new InferenceSession(fp32.ToByteArray());
        using var b = new InferenceSession(int8.ToByteArray());
        foreach (var image in images)
        {
            var input = new DenseTensor<float>(image, [1, 3, 16, 16]);
            using var ra = a.Run([NamedOnnxValue.CreateFromTensor(TestModels.InputName, input)]);
            using var rb = b.Run([NamedOnnxValue.CreateFromTensor(TestModels.InputName, input)]);
            var la = ra[0].AsTensor<float>().ToArray();
            var lb = rb[0].AsTensor<float>().ToArray();
            TorchTestSupport.MaxAbsDiff(la, lb).ShouldBeLessThan(0.1);
        }
    }

    [Fact]
    public void Missing_calibration_and_unsupported_graphs_are_refused_with_the_reason()
    {
        var fp32 = ModelProto.Parser.ParseFrom(TestModels.BlueVersusRed(size: 16));
        Should.Throw<ArgumentException>(() => OnnxQuantizer.Quantize(fp32, new Dictionary<string, TensorRange>()))
            .Message.ShouldContain("No calibrated range for");
        fp32.OpsetImport[0].Version = 12;
        Should.Throw<NotSupportedException>(() => OnnxQuantizer.Quantize(fp32, new Dictionary<string, TensorRange>()))
            .Message.ShouldContain("opset 13");
    }

    [Fact]
    public void Activation_parameters_keep_zero_exact_and_cover_the_range()
    {
        var (scale, zero) = new TensorRange(-1f, 3f).Uint8();
        scale.ShouldBe(4f / 255, 1e-7f);
        ((0 - zero) * scale).ShouldBe(-1f, scale / 2);
        ((255 - zero) * scale).ShouldBe(3f, scale / 2);
        new TensorRange(0.5f, 2f).Uint8().ZeroPoint.ShouldBe((byte)0, "a positive range is widened to include 0");
        new TensorRange(-2f, -0.5f).Uint8().ZeroPoint.ShouldBe((byte)255);
        TensorRange.Empty.Uint8().ShouldBe((1f, (byte)0));
    }

    /// <summary>A Tiny EfficientNet trained briefly, exported, calibrated on 32 images and quantized.</summary>
    private static (ModelProto Fp32, ModelProto Int8) TrainedTinyPair(out IReadOnlyList<float[]> calibration)
    {
        manual_seed(7);
        using var net = new EfficientNet(EfficientNetVariant.Tiny, numClasses: 2);
        TorchTestSupport.TrainBriefly(net, Size, steps: 40, batch: 16, lr: 3e-3);
        var fp32 = OnnxExporter.Build(net, Size);
        calibration = Images(32, seed: 1);
        var ranges = ActivationCalibrator.Calibrate(fp32, OnnxQuantizer.ActivationsToCalibrate(fp32), calibration, Size, Size, TestContext.Current.CancellationToken);
        return (fp32, OnnxQuantizer.Quantize(fp32, ranges));
    }

    private static IReadOnlyList<float[]> Images(int count, int seed) =>
        Enumerable.Range(0, count).Select(i => RandomImage(Size, seed * 1000 + i)).ToList();

    /// <summary>Normal noise shifted per channel, like the synthetic task TrainBriefly learns (red vs green mean).</summary>
    private static float[] RandomImage(int size, int seed)
    {
        var random = new Random(seed);
        var shift = new[] { random.NextSingle() - 0.5f, random.NextSingle() - 0.5f, random.NextSingle() - 0.5f };
        var pixels = new float[3 * size * size];
        for (var i = 0; i < pixels.Length; i++)
        {
            var gaussian = MathF.Sqrt(-2 * MathF.Log(1 - random.NextSingle())) * MathF.Cos(2 * MathF.PI * random.NextSingle());
            pixels[i] = gaussian + shift[i / (size * size)];
        }

        return pixels;
    }

    /// <summary>Logits per image, as serving runs the graph (all graph optimisations: QDQ fused).</summary>
    private static List<float[]> Logits(ModelProto model, IReadOnlyList<float[]> images)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), options);
        return images.Select(image =>
        {
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, new DenseTensor<float>(image, [1, 3, Size, Size]))]);
            return results[0].AsTensor<float>().ToArray();
        }).ToList();
    }

    private static int ArgMax(float[] row) => Array.IndexOf(row, row.Max());

    private static float[] Raw(TensorProto tensor) =>
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : tensor.FloatData.ToArray();
}
