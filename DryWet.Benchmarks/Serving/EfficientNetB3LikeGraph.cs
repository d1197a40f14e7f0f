using Onnx;
using static DryWet.Benchmarks.Serving.OnnxNodes;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// An ONNX graph with EfficientNet-B3's shape and cost (BN folded into conv biases, random weights): stem 3×3/2 → 26
/// MBConv blocks (expand 1×1, depthwise k×k, squeeze-excitation, project 1×1, residual) with B3's widths and depths →
/// head 1×1 to 1536 → pool → 2 logits. 1.83 GMAC at 300 px, ≈12 M parameters. Stands in for the trained model in
/// benchmarks until one exists; the answers are meaningless, the cost is not.
/// </summary>
internal static class EfficientNetB3LikeGraph
{
    // (expand ratio, kernel, stride, output channels, repeats) for B3 (width 1.2, depth 1.4 applied).
    private static readonly (int Expand, int Kernel, int Stride, int Out, int Repeats)[] Stages =
        [(1, 3, 1, 24, 2), (6, 3, 2, 32, 3), (6, 5, 2, 48, 3), (6, 3, 2, 96, 5), (6, 5, 1, 136, 5), (6, 5, 2, 232, 6), (6, 3, 1, 384, 2)];

    public const string InputName = "input";
    public const string OutputName = "logits";

    public static byte[] Build(int size = 300, int seed = 42)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "efficientnet_b3_like" };
        graph.Input.Add(Tensor(InputName, Dim(null, "batch"), Dim(3), Dim(size), Dim(size)));
        var counter = 0;
        string Name(string prefix) => $"{prefix}_{counter++}";

        string Conv(string x, int inChannels, int outChannels, int kernel, int stride, int group = 1)
        {
            var w = Name("w");
            var b = Name("b");
            var fanIn = inChannels / group * kernel * kernel;
            var limit = MathF.Sqrt(3f / fanIn);
            var weights = new float[outChannels * (inChannels / group) * kernel * kernel];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(random.NextDouble() * 2 - 1) * limit;
            }

            graph.Initializer.Add(Floats(w, [outChannels, inChannels / group, kernel, kernel], weights));
            graph.Initializer.Add(Floats(b, [outChannels], new float[outChannels]));
            var y = Name("conv");
            var node = Node("Conv", [x, w, b], [y]);
            node.Attribute.Add(Ints("kernel_shape", kernel, kernel));
            node.Attribute.Add(Ints("strides", stride, stride));
            node.Attribute.Add(Ints("pads", kernel / 2, kernel / 2, kernel / 2, kernel / 2));
            node.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = group });
            graph.Node.Add(node);
            return y;
        }

        string Silu(string x)
        {
            var s = Name("sig");
            var y = Name("silu");
            graph.Node.Add(Node("Sigmoid", [x], [s]));
            graph.Node.Add(Node("Mul", [x, s], [y]));
            return y;
        }

        var h = Silu(Conv(InputName, 3, 40, 3, 2));
        var channels = 40;
        foreach (var (expand, kernel, stride, output, repeats) in Stages)
        {
            for (var r = 0; r < repeats; r++)
            {
                var s = r == 0 ? stride : 1;
                var mid = channels * expand;
                var x = expand == 1 ? h : Silu(Conv(h, channels, mid, 1, 1));
                x = Silu(Conv(x, mid, mid, kernel, s, group: mid));
                var squeeze = Math.Max(1, channels / 4);
                var pooled = Name("se_pool");
                graph.Node.Add(Node("GlobalAveragePool", [x], [pooled]));
                var gate = Name("se_gate");
                graph.Node.Add(Node("Sigmoid", [Conv(Silu(Conv(pooled, mid, squeeze, 1, 1)), squeeze, mid, 1, 1)], [gate]));
                var excited = Name("se");
                graph.Node.Add(Node("Mul", [x, gate], [excited]));
                var projected = Conv(excited, mid, output, 1, 1);
                if (s == 1 && channels == output)
                {
                    var sum = Name("residual");
                    graph.Node.Add(Node("Add", [h, projected], [sum]));
                    projected = sum;
                }

                h = projected;
                channels = output;
            }
        }

        h = Silu(Conv(h, channels, 1536, 1, 1));
        graph.Node.Add(Node("GlobalAveragePool", [h], ["head_pool"]));
        var flatten = Node("Flatten", ["head_pool"], ["features"]);
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);
        var fc = new float[1536 * 2];
        for (var i = 0; i < fc.Length; i++)
        {
            fc[i] = (float)(random.NextDouble() * 2 - 1) * 0.04f;
        }

        graph.Initializer.Add(Floats("fc_w", [1536, 2], fc));
        graph.Initializer.Add(Floats("fc_b", [2], [0, 0]));
        graph.Node.Add(Node("Gemm", ["features", "fc_w", "fc_b"], [OutputName]));
        graph.Output.Add(Tensor(OutputName, Dim(null, "batch"), Dim(2)));

        return Model(graph);
    }
}
