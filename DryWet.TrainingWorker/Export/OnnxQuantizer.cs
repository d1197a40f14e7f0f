using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace DryWet.TrainingWorker.Export;

/// <summary>
/// Rewrites a float32 graph as a statically quantized QDQ graph (QuantizeLinear/DequantizeLinear around float ops,
/// which ONNX Runtime's CPU provider fuses into QLinearConv / QGemm):
/// <list type="bullet">
/// <item>every Conv and Gemm input activation and (unless it is a graph output) its output: uint8, per tensor,
/// asymmetric, from the calibrated range (<see cref="ActivationCalibrator"/>), one Q→DQ pair per tensor shared by all
/// consumers;</item>
/// <item>Conv/Gemm weights: int8, per output channel (axis 0), symmetric, <b>7-bit</b> (±<see cref="WeightLimit"/>). On
/// x86 without VNNI (AVX2, AVX-512F) ONNX Runtime's u8×s8 kernels add pairs of products in saturating 16-bit lanes
/// (VPMADDUBSW): 255·127·2 overflows, 255·63·2 = 32130 does not. VNNI sums in 32 bits, so 7 bits are exact there too;
/// one graph is correct on both (ONNX Runtime's <c>reduce_range</c>);</item>
/// <item>biases: int32 with scale input scale × weight scale of the channel, zero point 0.</item>
/// </list>
/// Everything else (Sigmoid, Mul, Add, pooling) stays float32 between a DequantizeLinear and the next QuantizeLinear.
/// BatchNorm is already folded into the Conv weights by <see cref="OnnxExporter"/>.
/// </summary>
public static class OnnxQuantizer
{
    /// <summary>Largest weight magnitude in the int8 grid (7 bits, see the class remarks).</summary>
    public const int WeightLimit = 63;

    private static readonly HashSet<string> QuantizedOps = new(StringComparer.Ordinal) { "Conv", "Gemm" };

    /// <summary>The activations <see cref="Quantize"/> needs ranges for: Conv/Gemm inputs, and outputs that are not graph outputs.</summary>
    public static IReadOnlyList<string> ActivationsToCalibrate(ModelProto model)
    {
        var graphOutputs = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node.Where(n => QuantizedOps.Contains(n.OpType) && n.Domain is "" or "ai.onnx"))
        {
            if (seen.Add(node.Input[0]))
            {
                names.Add(node.Input[0]);
            }

            if (!graphOutputs.Contains(node.Output[0]) && seen.Add(node.Output[0]))
            {
                names.Add(node.Output[0]);
            }
        }

        return names;
    }

    /// <summary>Returns the QDQ INT8 graph of <paramref name="model"/>; <paramref name="ranges"/> holds every name of <see cref="ActivationsToCalibrate"/>.</summary>
    public static ModelProto Quantize(ModelProto model, IReadOnlyDictionary<string, TensorRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx") is not { Version: >= 13 })
        {
            throw new NotSupportedException("Per-channel DequantizeLinear needs ONNX opset 13 or later.");
        }

        var quantized = model.Clone();
        var graph = quantized.Graph;
        var activations = ActivationsToCalibrate(model);
        var missing = activations.Where(a => !ranges.ContainsKey(a)).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"No calibrated range for {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}.", nameof(ranges));
        }

        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var taken = new HashSet<string>(graph.Node.SelectMany(n => n.Output).Concat(initializers.Keys).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        string Unique(string name)
        {
            var candidate = name;
            for (var i = 1; !taken.Add(candidate); i++)
            {
                candidate = $"{name}_{i}";
            }

            return candidate;
        }

        // Activation Q→DQ pairs, placed right after the value is produced (graph input: first).
        var activationScales = new Dictionary<string, float>(StringComparer.Ordinal);
        var dequantized = new Dictionary<string, string>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, NodeProto[]>(StringComparer.Ordinal);
        foreach (var name in activations)
        {
            var (scale, zeroPoint) = ranges[name].Uint8();
            activationScales[name] = scale;
            var s = AddInitializer(graph, Unique(name + "_scale"), TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes([scale]).ToArray());
            var z = AddInitializer(graph, Unique(name + "_zero_point"), TensorProto.Types.DataType.Uint8, [zeroPoint]);
            var q = Unique(name + "_quantized");
            var dq = Unique(name + "_dequantized");
            dequantized[name] = dq;
            pairs[name] = [Node("QuantizeLinear", q, [name, s, z]), Node("DequantizeLinear", dq, [q, s, z])];
        }

        // Conv/Gemm parameters: int8 weights and int32 biases behind per-channel DequantizeLinear.
        var parameterNodes = new List<NodeProto>();
        var replacedInitializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => QuantizedOps.Contains(n.OpType) && n.Domain is "" or "ai.onnx"))
        {
            if (node.OpType == "Gemm" && IntAttribute(node, "transA") != 0)
            {
                throw new NotSupportedException($"'{node.Name}': Gemm with transA = 1 is not quantized.");
            }

            // Conv weights and Gemm with transB = 1 are [out, …]: one scale per output channel. Gemm weights [in, out]: one scale.
            var perTensor = node.OpType == "Gemm" && IntAttribute(node, "transB") != 1;

            var weight = initializers.GetValueOrDefault(node.Input[1])
                ?? throw new NotSupportedException($"'{node.Name}': its weights '{node.Input[1]}' are not a constant initializer.");
            var (values, dims) = Floats(weight);
            var channels = perTensor ? 1 : (int)dims[0];
            long[] scaleDims = perTensor ? [] : [channels];
            AttributeProto[] axis = perTensor ? [] : [Axis(0)];
            var (q, scales) = QuantizeWeights(values, channels);
            var qName = AddInitializer(graph, Unique(weight.Name + "_quantized"), TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(q.AsSpan()).ToArray(), dims);
            var sName = AddInitializer(graph, Unique(weight.Name + "_scale"), TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), scaleDims);
            var zName = AddInitializer(graph, Unique(weight.Name + "_zero_point"), TensorProto.Types.DataType.Int8, new byte[channels], scaleDims);
            var wOut = Unique(weight.Name + "_dequantized");
            parameterNodes.Add(Node("DequantizeLinear", wOut, [qName, sName, zName], axis));
            replacedInitializers.Add(weight.Name);
            node.Input[1] = wOut;

            if (node.Input.Count > 2 && node.Input[2].Length > 0)
            {
                var bias = initializers.GetValueOrDefault(node.Input[2])
                    ?? throw new NotSupportedException($"'{node.Name}': its bias '{node.Input[2]}' is not a constant initializer.");
                var (biasValues, _) = Floats(bias);
                if (!perTensor && biasValues.Length != channels)
                {
                    throw new NotSupportedException($"'{node.Name}': bias has {biasValues.Length} values for {channels} output channels.");
                }

                var inputScale = activationScales[node.Input[0]];
                var biasScales = scales.Select(s => inputScale * s).ToArray();
                var biasQ = biasValues.Select((b, c) => (int)Math.Clamp(Math.Round((double)b / biasScales[perTensor ? 0 : c]), int.MinValue + 1, int.MaxValue)).ToArray();
                var bqName = AddInitializer(graph, Unique(bias.Name + "_quantized"), TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(biasQ.AsSpan()).ToArray(), biasValues.Length);
                var bsName = AddInitializer(graph, Unique(bias.Name + "_scale"), TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(biasScales.AsSpan()).ToArray(), scaleDims);
                var bzName = AddInitializer(graph, Unique(bias.Name + "_zero_point"), TensorProto.Types.DataType.Int32, new byte[channels * sizeof(int)], scaleDims);
                var bOut = Unique(bias.Name + "_dequantized");
                parameterNodes.Add(Node("DequantizeLinear", bOut, [bqName, bsName, bzName], axis));
                replacedInitializers.Add(bias.Name);
                node.Input[2] = bOut;
            }
        }

        // Consumers read the dequantized value; the QuantizeLinear reads the original.
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (dequantized.TryGetValue(node.Input[i], out var dq))
                {
                    node.Input[i] = dq;
                }
            }
        }

        var ordered = new List<NodeProto>(parameterNodes);
        foreach (var input in graph.Input.Where(i => pairs.ContainsKey(i.Name)))
        {
            ordered.AddRange(pairs[input.Name]);
        }

        foreach (var node in graph.Node)
        {
            ordered.Add(node);
            foreach (var output in node.Output.Where(pairs.ContainsKey))
            {
                ordered.AddRange(pairs[output]);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(ordered);
        var stillUsed = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var old in graph.Initializer.Where(t => replacedInitializers.Contains(t.Name) && !stillUsed.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(old);
        }

        quantized.DocString = (model.DocString + " Statically quantized INT8 (QDQ: uint8 activations per tensor, int8 7-bit symmetric weights per channel).").Trim();
        return quantized;
    }

    /// <summary>Symmetric per-channel (axis 0) quantization to ±<see cref="WeightLimit"/>; an all-zero channel gets scale 1.</summary>
    public static (sbyte[] Values, float[] Scales) QuantizeWeights(float[] weights, int channels)
    {
        var perChannel = weights.Length / channels;
        var q = new sbyte[weights.Length];
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var channel = weights.AsSpan(c * perChannel, perChannel);
            var max = 0f;
            foreach (var w in channel)
            {
                max = Math.Max(max, Math.Abs(w));
            }

            var scale = max > 0 ? max / WeightLimit : 1f;
            scales[c] = scale;
            for (var i = 0; i < perChannel; i++)
            {
                q[c * perChannel + i] = (sbyte)Math.Clamp((int)MathF.Round(channel[i] / scale), -WeightLimit, WeightLimit);
            }
        }

        return (q, scales);
    }

    private static long IntAttribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? 0;

    private static (float[] Values, long[] Dims) Floats(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new NotSupportedException($"Initializer '{tensor.Name}' is not float32.");
        }

        var values = tensor.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
            : tensor.FloatData.ToArray();
        return (values, tensor.Dims.ToArray());
    }

    private static string AddInitializer(GraphProto graph, string name, TensorProto.Types.DataType type, byte[] raw, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static NodeProto Node(string op, string output, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Axis(long axis) => new() { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis };
}
