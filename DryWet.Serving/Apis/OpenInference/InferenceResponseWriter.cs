using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DryWet.Serving.Inference;

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>
/// Writes the infer answer: <c>probabilities</c> FP32 [N, classes] and <c>label</c> BYTES [N], in the order and form
/// the request asked for. When any output is binary, the body is the JSON followed by the binary tensors in output
/// order, with <c>Inference-Header-Content-Length</c> giving the JSON's length (Triton's binary tensor data extension).
/// </summary>
internal static class InferenceResponseWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static IResult Write(InferenceBatch batch, IReadOnlyList<Prediction> predictions, LoadedModel model)
    {
        var outputs = new List<ResponseOutput>();
        var binary = new List<byte[]>();
        foreach (var output in batch.Outputs)
        {
            var probabilities = output.Name == InferenceOutputs.Probabilities;
            long[] shape = probabilities ? [predictions.Count, model.Labels.Count] : [predictions.Count];
            var datatype = probabilities ? "FP32" : "BYTES";
            object data = probabilities ? predictions.SelectMany(p => p.Probabilities).ToArray() : predictions.Select(p => p.Label).ToArray();
            var bytes = probabilities ? ProbabilityBytes(predictions) : LabelBytes(predictions);
            if (output.Binary)
            {
                binary.Add(bytes);
                outputs.Add(new ResponseOutput(output.Name, shape, datatype, new Dictionary<string, long> { ["binary_data_size"] = bytes.Length }, null));
            }
            else
            {
                outputs.Add(new ResponseOutput(output.Name, shape, datatype, null, data));
            }
        }

        var header = JsonSerializer.SerializeToUtf8Bytes(
            new InferenceResponse(model.Descriptor.Name, model.Descriptor.Version, batch.Id, outputs), Json);
        if (binary.Count == 0)
        {
            return Results.Bytes(header, "application/json");
        }

        var body = new byte[header.Length + binary.Sum(b => b.Length)];
        header.CopyTo(body, 0);
        var offset = header.Length;
        foreach (var tensor in binary)
        {
            tensor.CopyTo(body, offset);
            offset += tensor.Length;
        }

        return new BinaryInferenceResult(body, header.Length);
    }

    private static byte[] ProbabilityBytes(IReadOnlyList<Prediction> predictions)
    {
        var values = predictions.SelectMany(p => p.Probabilities).ToArray();
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray(); // little-endian, row-major
    }

    private static byte[] LabelBytes(IReadOnlyList<Prediction> predictions)
    {
        var labels = predictions.Select(p => Encoding.UTF8.GetBytes(p.Label)).ToList();
        var bytes = new byte[labels.Sum(l => 4 + l.Length)];
        var offset = 0;
        foreach (var label in labels)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), (uint)label.Length);
            label.CopyTo(bytes, offset + 4);
            offset += 4 + label.Length;
        }

        return bytes;
    }

    private sealed class BinaryInferenceResult(byte[] body, int headerLength) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers[InferenceRequestReader.HeaderLengthHeader] = headerLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
