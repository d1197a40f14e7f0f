using DryWet.TrainingWorker.Model;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using G = DryWet.TrainingWorker.Export.OnnxGraphBuilder;

namespace DryWet.TrainingWorker.Export;

/// <summary>
/// Writes a TorchSharp network as an ONNX inference graph (TorchSharp has no exporter). It walks the module tree
/// (any EfficientNet variant, or any tree of the supported modules) and emits the eval-mode function:
/// Conv (groups for depthwise) with the following BatchNorm folded in, SiLU as Sigmoid+Mul, the SE block,
/// residual Add, GlobalAveragePool, Flatten and Gemm; Dropout and StochasticDepth vanish.
/// Graph: input "input" float [N, 3, S, S] (N dynamic), output "logits" float [N, classes] (raw logits); IR 8, opset 17.
/// </summary>
public static class OnnxExporter
{
    public const string InputName = "input";
    public const string OutputName = "logits";
    public const long IrVersion = 8;
    public const long OpsetVersion = 17;

    /// <summary>Exports <paramref name="model"/> for square <paramref name="imageSize"/> inputs to <paramref name="path"/> (atomic write).</summary>
    /// <remarks>Reads weights and BatchNorm running statistics only; the module's train/eval mode is not changed.</remarks>
    public static void Export(nn.Module<Tensor, Tensor> model, int imageSize, string path)
    {
        var proto = Build(model, imageSize);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + $".tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = File.Create(temp))
            {
                proto.WriteTo(stream);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Builds the ONNX model in memory (see <see cref="Export"/>).</summary>
    public static ModelProto Build(nn.Module<Tensor, Tensor> model, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);

        var graph = new G(model.GetName());
        graph.Reserve(InputName);
        graph.Reserve(OutputName);
        using (NewDisposeScope())
        using (no_grad())
        {
            var walker = new Walker(graph);
            var result = walker.Emit(model, "", new Value(InputName, Rank: 4, Channels: 3));
            if (result.Rank != 2)
            {
                throw new NotSupportedException($"The network's output has rank {result.Rank}; the exporter writes [N, classes] logits.");
            }

            graph.RenameLastOutput(result.Name, OutputName);
            graph.Graph.Input.Add(G.FloatValue(InputName, null, 3, imageSize, imageSize));
            graph.Graph.Output.Add(G.FloatValue(OutputName, null, result.Channels));
        }

        var onnx = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "DryWet",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            DocString = $"{Describe(model)} exported by DryWet for {imageSize}x{imageSize} RGB inputs (ImageNet-normalised); output: raw logits.",
            Graph = graph.Graph,
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        return onnx;
    }

    private static string Describe(nn.Module model) => model is EfficientNet net ? net.Variant.Name : model.GetName();

    /// <summary>A value flowing through the graph: its name, rank (4 = NCHW, 2 = NC) and channel count.</summary>
    private readonly record struct Value(string Name, int Rank, long Channels);

    private sealed class Walker(G graph)
    {
        public Value Emit(nn.Module module, string path, Value x) => module switch
        {
            EfficientNet net => EmitEfficientNet(net, path, x),
            MBConv block => EmitMBConv(block, path, x),
            torchvision.SqueezeExcitation se => EmitSqueezeExcitation(se, path, x),
            Sequential sequential => EmitSequential(sequential, path, x),
            Conv2d conv => EmitConv(conv, null, path, x),
            SiLU => EmitSiLU(path, x),
            Sigmoid => x with { Name = graph.Node("Sigmoid", Join(path, "sigmoid"), [x.Name]) },
            ReLU => x with { Name = graph.Node("Relu", Join(path, "relu"), [x.Name]) },
            AdaptiveAvgPool2d pool => EmitGlobalAveragePool(pool, path, x),
            Flatten => EmitFlatten(path, x),
            Linear linear => EmitGemm(linear, path, x),
            // Identity at inference time.
            Dropout or torchvision.StochasticDepth or StochasticDepth or Identity => x,
            BatchNorm2d or SafeBatchNorm2d => throw new NotSupportedException($"'{path}': a BatchNorm2d must directly follow a Conv2d to be folded into it."),
            _ => throw new NotSupportedException($"'{path}': {module.GetType().Name} has no ONNX mapping in DryWet's exporter."),
        };

        private Value EmitEfficientNet(EfficientNet net, string path, Value x)
        {
            x = Emit(net.Features, Join(path, "features"), x);
            x = x with { Name = graph.Node("GlobalAveragePool", Join(path, "avgpool"), [x.Name]) };
            x = EmitFlatten(Join(path, "flatten"), x);
            return Emit(net.Classifier, Join(path, "classifier"), x);
        }

        private Value EmitSequential(Sequential sequential, string path, Value x)
        {
            var children = sequential.named_children().ToList();
            for (var i = 0; i < children.Count; i++)
            {
                var (name, child) = children[i];
                if (child is Conv2d conv && i + 1 < children.Count && children[i + 1].module is SafeBatchNorm2d bn)
                {
                    x = EmitConv(conv, bn, Join(path, name), x);
                    i++;
                }
                else
                {
                    x = Emit(child, Join(path, name), x);
                }
            }

            return x;
        }

        private Value EmitMBConv(MBConv block, string path, Value x)
        {
            var y = Emit(block.Block, Join(path, "block"), x);
            return block.UsesResidual ? y with { Name = graph.Node("Add", Join(path, "add"), [y.Name, x.Name]) } : y;
        }

        private Value EmitSqueezeExcitation(torchvision.SqueezeExcitation se, string path, Value x)
        {
            // torchvision's fields are private; named_children gives them under their state-dict names.
            var parts = se.named_children().ToDictionary(c => c.name, c => c.module);
            string[] expected = ["avgpool", "fc1", "activation", "fc2", "scale_activation"];
            if (expected.Any(name => !parts.ContainsKey(name)))
            {
                throw new NotSupportedException($"'{path}': SqueezeExcitation children are [{string.Join(", ", parts.Keys)}], expected [{string.Join(", ", expected)}].");
            }

            var scale = x with { Name = graph.Node("GlobalAveragePool", Join(path, "avgpool"), [x.Name]) };
            foreach (var name in expected.Skip(1))
            {
                scale = Emit(parts[name], Join(path, name), scale);
            }

            return x with { Name = graph.Node("Mul", Join(path, "mul"), [x.Name, scale.Name]) };
        }

        private Value EmitConv(Conv2d conv, SafeBatchNorm2d? bn, string path, Value x)
        {
            RequireRank(x, 4, path);
            if (conv.padding_mode != PaddingModes.Zeros || conv.padding is not { Length: 2 } padding || conv.transposed)
            {
                throw new NotSupportedException($"'{path}': only zero-padded, non-transposed Conv2d with explicit padding is exported.");
            }

            var outChannels = conv.out_channels;
            var weight = ToArray(conv.weight!);
            var bias = conv.bias is null ? new float[outChannels] : ToArray(conv.bias);
            if (bn is not null)
            {
                FoldBatchNorm(bn, weight, bias, path);
            }

            var kernel = conv.kernel_size;
            var w = graph.Initializer(Join(path, "weight"), weight, outChannels, conv.in_channels / conv.groups, kernel[0], kernel[1]);
            var b = graph.Initializer(Join(path, "bias"), bias, outChannels);
            var name = graph.Node("Conv", Join(path, "conv"), [x.Name, w, b],
                G.Ints("kernel_shape", kernel),
                G.Ints("strides", conv.stride),
                G.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
                G.Ints("dilations", conv.dilation),
                G.Int("group", conv.groups));
            return new Value(name, 4, outChannels);
        }

        /// <summary>W' = W·s, b' = β + (b − μ)·s with s = γ/√(σ² + ε), computed in double.</summary>
        private static void FoldBatchNorm(SafeBatchNorm2d bn, float[] weight, float[] bias, string path)
        {
            var channels = bias.Length;
            if (bn.NumFeatures != channels)
            {
                throw new NotSupportedException($"'{path}': BatchNorm2d has {bn.NumFeatures} channels, the Conv2d before it {channels}.");
            }

            var mean = ToArray(bn.RunningMean);
            var variance = ToArray(bn.RunningVar);
            var gamma = ToArray(bn.Weight);
            var beta = ToArray(bn.Bias);
            var perChannel = weight.Length / channels;
            for (var c = 0; c < channels; c++)
            {
                var s = gamma[c] / Math.Sqrt(variance[c] + bn.Eps);
                for (var i = c * perChannel; i < (c + 1) * perChannel; i++)
                {
                    weight[i] = (float)(weight[i] * s);
                }

                bias[c] = (float)(beta[c] + (bias[c] - mean[c]) * s);
            }
        }

        private Value EmitSiLU(string path, Value x)
        {
            var sigmoid = graph.Node("Sigmoid", Join(path, "sigmoid"), [x.Name]);
            return x with { Name = graph.Node("Mul", Join(path, "silu"), [x.Name, sigmoid]) };
        }

        private Value EmitGlobalAveragePool(AdaptiveAvgPool2d pool, string path, Value x)
        {
            RequireRank(x, 4, path);
            if (pool.output_size.Any(s => s != 1))
            {
                throw new NotSupportedException($"'{path}': only AdaptiveAvgPool2d(1) (global average pooling) is exported.");
            }

            return x with { Name = graph.Node("GlobalAveragePool", path, [x.Name]) };
        }

        private Value EmitFlatten(string path, Value x) =>
            x.Rank == 2 ? x : new Value(graph.Node("Flatten", path, [x.Name], G.Int("axis", 1)), 2, x.Channels);

        private Value EmitGemm(Linear linear, string path, Value x)
        {
            RequireRank(x, 2, path);
            var w = graph.Initializer(Join(path, "weight"), ToArray(linear.weight!), linear.out_features, linear.in_features);
            var b = graph.Initializer(Join(path, "bias"), linear.bias is null ? new float[linear.out_features] : ToArray(linear.bias), linear.out_features);
            var name = graph.Node("Gemm", Join(path, "gemm"), [x.Name, w, b], G.Int("transB", 1));
            return new Value(name, 2, linear.out_features);
        }

        private static void RequireRank(Value x, int rank, string path)
        {
            if (x.Rank != rank)
            {
                throw new NotSupportedException($"'{path}' expects a rank-{rank} input but gets rank {x.Rank}.");
            }
        }

        private static float[] ToArray(Tensor tensor)
        {
            using var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            return cpu.data<float>().ToArray();
        }

        private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
    }
}
