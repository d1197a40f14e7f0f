using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace DryWet.TrainingWorker.Export;

/// <summary>
/// Appends nodes and float initializers to an ONNX graph with unique, readable value names (module paths).
/// A thin layer over OnnxSharp's protobuf messages; it knows no network.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName) => Graph = new GraphProto { Name = graphName };

    public GraphProto Graph { get; }

    /// <summary>Keeps a name (e.g. the graph input) from being given to a node or initializer.</summary>
    public void Reserve(string name) => names.Add(name);

    /// <summary>Declares a float graph input or output; a null dimension is the dynamic batch "N".</summary>
    public static ValueInfoProto FloatValue(string name, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is { } value
                ? new TensorShapeProto.Types.Dimension { DimValue = value }
                : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }

    /// <summary>Adds a constant float tensor (little-endian raw data) and returns its name.</summary>
    public string Initializer(string name, float[] data, params long[] dims)
    {
        var expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != data.Length)
        {
            throw new ArgumentException($"Initializer '{name}' has {data.Length} values but shape [{string.Join(", ", dims)}].", nameof(data));
        }

        var tensor = new TensorProto
        {
            Name = Unique(name),
            DataType = (int)TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())),
        };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds one node with a single output and returns the output's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Unique(name);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Renames the last node's output (used for the graph output, e.g. "logits").</summary>
    public void RenameLastOutput(string from, string to)
    {
        var last = Graph.Node[^1];
        // "to" may have been reserved up front (graph input/output names), so only the source name is checked.
        if (last.Output[0] != from)
        {
            throw new InvalidOperationException($"Cannot rename '{from}' to '{to}'.");
        }

        names.Add(to);
        last.Output[0] = to;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private string Unique(string name)
    {
        var candidate = name;
        for (var i = 1; !names.Add(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }
}
