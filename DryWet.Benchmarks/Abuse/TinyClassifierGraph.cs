using Onnx;
using static DryWet.Benchmarks.Serving.OnnxNodes;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// The abuse benchmark's default model: a tiny random CNN at a fixed 96×96 input (conv 3×3/2 → ReLU → conv 3×3/2 →
/// ReLU → pool → 2 logits, ≈ 1 MMAC). Inference costs almost nothing, so what the benchmark sees is the server's own
/// cost of decoding, queueing and answering hostile input: the case in issue 19's table ("tiny model").
/// </summary>
internal static class TinyClassifierGraph
{
    public const int Size = 96;
    public const string InputName = "input";
    public const string OutputName = "logits";

    public static byte[] Build(int seed = 19)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "tiny_classifier" };
        graph.Input.Add(Tensor(InputName, Dim(null, "batch"), Dim(3), Dim(Size), Dim(Size)));
        var first = Conv(graph, random, InputName, "c1", 3, 8);
        var second = Conv(graph, random, first, "c2", 8, 16);
        graph.Node.Add(Node("GlobalAveragePool", [second], ["pooled"]));
        var flatten = Node("Flatten", ["pooled"], ["features"]);
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);
        graph.Initializer.Add(Floats("fc_w", [16, 2], RandomWeights(random, 32, 0.25f)));
        graph.Initializer.Add(Floats("fc_b", [2], [0, 0]));
        graph.Node.Add(Node("Gemm", ["features", "fc_w", "fc_b"], [OutputName]));
        graph.Output.Add(Tensor(OutputName, Dim(null, "batch"), Dim(2)));
        return Model(graph);
    }

    private static string Conv(GraphProto graph, Random random, string input, string name, int inChannels, int outChannels)
    {
        graph.Initializer.Add(Floats($"{name}_w", [outChannels, inChannels, 3, 3], RandomWeights(random, outChannels * inChannels * 9, MathF.Sqrt(3f / (inChannels * 9)))));
        graph.Initializer.Add(Floats($"{name}_b", [outChannels], new float[outChannels]));
        var conv = Node("Conv", [input, $"{name}_w", $"{name}_b"], [$"{name}_conv"]);
        conv.Attribute.Add(Ints("kernel_shape", 3, 3));
        conv.Attribute.Add(Ints("strides", 2, 2));
        conv.Attribute.Add(Ints("pads", 1, 1, 1, 1));
        graph.Node.Add(conv);
        graph.Node.Add(Node("Relu", [$"{name}_conv"], [$"{name}_relu"]));
        return $"{name}_relu";
    }

    private static float[] RandomWeights(Random random, int count, float limit)
    {
        var weights = new float[count];
        for (var i = 0; i < count; i++)
        {
            weights[i] = (float)(random.NextDouble() * 2 - 1) * limit;
        }

        return weights;
    }
}
