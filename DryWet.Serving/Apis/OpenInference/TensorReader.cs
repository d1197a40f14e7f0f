using System.Runtime.InteropServices;
using System.Text.Json;
namespace DryWet.Serving.Apis.OpenInference;

/// <summary>
/// Turns the one request input into images: BYTES [N] (encoded images; base64 strings in JSON, length-prefixed in
/// binary) or FP32 [N, 3, H, W] (preprocessed; a flat or nested JSON array in row-major order, or little-endian
/// floats in binary). Every size is checked against the shape, and the shape against <c>Serving:MaxTensorElements</c>,
/// before any buffer is allocated: a huge declared shape with no data costs nothing.
/// </summary>
internal static class TensorReader
{
    public static (InferenceBatch? Batch, ClientError? Error) Images(RequestInput input, BinarySection binary, InputSpec spec)
    {
        var name = input.Name ?? "(unnamed)";
        if (input.Shape is not [var n] || n < 1 || n > InferenceRequestReader.MaxImages)
        {
            return Fail($"BYTES input '{name}' has shape [{Shape(input.Shape)}]; send [N] encoded images, 1 ≤ N ≤ {InferenceRequestReader.MaxImages}.");
        }

        // The images become one [N, 3, H, W] tensor.
        if (TooManyElements(n * spec.ImageLength, spec, $"BYTES input '{name}' [{n}] decodes to [{n}, 3, {spec.Height}, {spec.Width}]") is { } tooMany)
        {
            return Fail(tooMany);
        }

        var (bytes, sizeError) = BinaryData(input, binary, name);
        if (sizeError is not null)
        {
            return Fail(sizeError);
        }

        List<ReadOnlyMemory<byte>>? images;
        if (bytes is { } raw)
        {
            images = BinarySection.SplitBytesElements(raw);
            if (images is null)
            {
                return Fail($"BYTES input '{name}': the binary data is not a sequence of 4-byte little-endian lengths each followed by that many bytes.");
            }
        }
        else if (input.Data is { ValueKind: JsonValueKind.Array } data)
        {
            if (CountElements(data) is var elements && elements != n)
            {
                return Fail($"BYTES input '{name}' has shape [{n}] but {elements} elements.");
            }

            images = [];
            var index = 0;
            foreach (var element in Flatten(data))
            {
                var decoded = element.ValueKind == JsonValueKind.String ? TryBase64(element.GetString()!) : null;
                if (decoded is null)
                {
                    return Fail($"BYTES input '{name}' element {index} must be a base64 string of an encoded image; got {Truncate(element.GetRawText())}.");
                }

                images.Add(decoded);
                index++;
            }
        }
        else
        {
            return Fail($"BYTES input '{name}' has no data: send \"data\" (base64 strings) or parameters.binary_data_size with the bytes after the JSON.");
        }

        return images.Count == n
            ? (new InferenceBatch(null, (int)n, images, null, []), null)
            : Fail($"BYTES input '{name}' has shape [{n}] but {images.Count} elements.");
    }

    public static (InferenceBatch? Batch, ClientError? Error) Preprocessed(RequestInput input, BinarySection binary, InputSpec spec)
    {
        var (height, width) = (spec.Height, spec.Width);
        if (input.Name != spec.InputName)
        {
            return Fail($"FP32 input is named '{input.Name ?? "(none)"}'; this model's input is '{spec.InputName}' (GET /v2/models/{spec.ModelName}).");
        }

        if (input.Shape is not [var n, 3, var h, var w] || n < 1 || n > InferenceRequestReader.MaxImages || h != height || w != width)
        {
            return Fail($"FP32 input '{input.Name}' has shape [{Shape(input.Shape)}]; send [N, 3, {height}, {width}], 1 ≤ N ≤ {InferenceRequestReader.MaxImages}, preprocessed as the model's config says.");
        }

        if (TooManyElements(n * spec.ImageLength, spec, $"FP32 input '{input.Name}' [{Shape(input.Shape)}]") is { } tooMany)
        {
            return Fail(tooMany);
        }

        var count = checked((int)n * spec.ImageLength);
        var (bytes, sizeError) = BinaryData(input, binary, input.Name);
        if (sizeError is not null)
        {
            return Fail(sizeError);
        }

        // The data must hold exactly the shape's elements before the tensor exists.
        float[] tensor;
        if (bytes is { } raw)
        {
            if (raw.Length != (long)count * sizeof(float))
            {
                return Fail($"FP32 input '{input.Name}' [{Shape(input.Shape)}] needs {(long)count * sizeof(float)} bytes of binary data; binary_data_size is {raw.Length}.");
            }

            tensor = new float[count];
            // The extension's layout is little-endian; so is every platform .NET runs this on.
            MemoryMarshal.Cast<byte, float>(raw.Span).CopyTo(tensor);
        }
        else if (input.Data is { ValueKind: JsonValueKind.Array } data)
        {
            var elements = CountElements(data);
            if (elements != count)
            {
                return Fail($"FP32 input '{input.Name}' has {elements} elements; its shape [{Shape(input.Shape)}] needs {count}.");
            }

            tensor = new float[count];
            var index = 0;
            foreach (var element in Flatten(data))
            {
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetSingle(out var value) || !float.IsFinite(value))
                {
                    return Fail($"FP32 input '{input.Name}' element {index} must be a finite number; got {Truncate(element.GetRawText())}.");
                }

                tensor[index++] = value;
            }
        }
        else
        {
            return Fail($"FP32 input '{input.Name}' has no data: send \"data\" (numbers, row-major) or parameters.binary_data_size with the floats after the JSON.");
        }

        return (new InferenceBatch(null, (int)n, null, tensor, []), null);
    }

    /// <summary>The input's binary bytes when it declares binary_data_size (then "data" must be absent), else null.</summary>
    private static (ReadOnlyMemory<byte>? Bytes, string? Error) BinaryData(RequestInput input, BinarySection binary, string name)
    {
        if (input.Parameters is null || !input.Parameters.TryGetValue("binary_data_size", out var sizeElement))
        {
            return (null, null);
        }

        if (!sizeElement.TryGetInt64(out var size) || size < 0)
        {
            return (null, $"Input '{name}': parameters.binary_data_size must be a non-negative integer; got {sizeElement.GetRawText()}.");
        }

        if (input.Data is { ValueKind: not JsonValueKind.Null })
        {
            return (null, $"Input '{name}' has both \"data\" and parameters.binary_data_size; send one.");
        }

        return binary.TryTake(size, out var bytes)
            ? (bytes, null)
            : (null, $"Input '{name}' declares binary_data_size {size} but only {binary.Remaining} bytes follow the JSON ({InferenceRequestReader.HeaderLengthHeader} must give the JSON's length).");
    }

    private static string? TooManyElements(long elements, InputSpec spec, string what) =>
        elements <= spec.MaxTensorElements ? null
        : $"{what} has {elements:N0} elements; at most {spec.MaxTensorElements:N0} are accepted per request (Serving:MaxTensorElements). Send fewer images per request.";

    /// <summary>Leaf elements of a nested JSON array, counted without allocating.</summary>
    private static long CountElements(JsonElement array)
    {
        long count = 0;
        foreach (var element in array.EnumerateArray())
        {
            count += element.ValueKind == JsonValueKind.Array ? CountElements(element) : 1;
        }

        return count;
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement array)
    {
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var inner in Flatten(element))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return element;
            }
        }
    }

    private static byte[]? TryBase64(string text)
    {
        var buffer = new byte[text.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    private static (InferenceBatch?, ClientError?) Fail(string message) => (null, InferenceRequestReader.Bad(message));

    private static string Shape(IReadOnlyList<long>? shape) => shape is null ? "" : string.Join(", ", shape);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
