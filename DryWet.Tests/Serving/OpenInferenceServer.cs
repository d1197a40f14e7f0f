using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using DryWet.Tests.Training;

namespace DryWet.Tests.Serving;

/// <summary>
/// A server for the OIP v2 inference tests: the "blue outweighs red" logits model at 16×16 (768 floats per image), a
/// 256 KB body limit, and helpers that build request bodies byte by byte as the OIP REST spec and Triton's binary
/// tensor data extension lay them out.
/// </summary>
public sealed class OpenInferenceServer : IAsyncLifetime
{
    public const float K = 4f;
    public const int Size = 16;
    public const int BodyLimit = 256 * 1024;
    private readonly TempFolder _folder = new();

    public ServingApp App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var package = TestModels.WritePackage(_folder.Sub("package"), TestModels.BlueVersusRed(K), imgSize: Size);
        (App, Client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Model:Version"] = "7",
            ["Serving:MaxRequestBodyBytes"] = BodyLimit.ToString(),
        });
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>A JSON-only request (Content-Type application/json).</summary>
    public static HttpContent JsonBody(string json) => new StringContent(json, Encoding.UTF8, "application/json");

    /// <summary>The JSON header, then the binary tensors; Inference-Header-Content-Length = the JSON's byte length.</summary>
    public static HttpContent BinaryBody(string json, params byte[][] tensors)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var body = header.Concat(tensors.SelectMany(t => t)).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString());
        return content;
    }

    /// <summary>Triton's BYTES layout: per element a 4-byte little-endian length, then the bytes.</summary>
    public static byte[] BytesTensor(params byte[][] elements)
    {
        var result = new byte[elements.Sum(e => 4 + e.Length)];
        var offset = 0;
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(offset), (uint)element.Length);
            element.CopyTo(result, offset + 4);
            offset += 4 + element.Length;
        }

        return result;
    }

    /// <summary>Little-endian FP32, row-major.</summary>
    public static byte[] Fp32Tensor(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>One preprocessed image [3, 16, 16] with constant channels (red, green, blue), in normalized units.</summary>
    public static float[] Image(float red, float blue, float green = 0) =>
        [.. Enumerable.Repeat(red, Size * Size), .. Enumerable.Repeat(green, Size * Size), .. Enumerable.Repeat(blue, Size * Size)];

    public static string Floats(IEnumerable<float> values) =>
        "[" + string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
