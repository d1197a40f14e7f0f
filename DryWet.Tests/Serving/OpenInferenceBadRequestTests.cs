using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using static DryWet.Tests.Serving.OpenInferenceServer;

namespace DryWet.Tests.Serving;

/// <summary>
/// Bad OIP v2 infer requests, built byte by byte: each gets the spec's <c>{"error": "..."}</c> with a 4xx that names
/// what was wrong (400 bad tensor, 404 unknown model or version, 413 too large, 415 wrong media type or not an image).
/// </summary>
public sealed class OpenInferenceBadRequestTests(OpenInferenceServer server) : IClassFixture<OpenInferenceServer>
{
    private const string Infer = "/v2/models/dry_wet_model/infer";
    private static readonly string Input = TestModels.InputName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, int, string> BadJson => new()
    {
        { "not JSON", "{\"inputs\": [", 400, "not valid JSON" },
        { "no inputs", "{\"inputs\": []}", 400, "exactly one input" },
        { "a field of the wrong type", """{"inputs":[{"name":"image","shape":"one","datatype":"BYTES","data":["AA=="]}]}""", 400, "not an OIP $inference_request" },
        { "two inputs", $$"""{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","data":["AA=="]},{"name":"b","shape":[1],"datatype":"BYTES","data":["AA=="]}]}""", 400, "got 2" },
        { "unsupported datatype", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,16,16],"datatype":"INT64","data":[1]}]}""", 400, "datatype 'INT64'" },
        { "wrong FP32 input name", """{"inputs":[{"name":"pixels","shape":[1,3,16,16],"datatype":"FP32","data":[1]}]}""", 400, "named 'pixels'" },
        { "wrong FP32 shape", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,9,9],"datatype":"FP32","data":[1]}]}""", 400, "shape [1, 3, 9, 9]; send [N, 3, 16, 16]" },
        { "too few FP32 elements", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,16,16],"datatype":"FP32","data":[1,2,3]}]}""", 400, "has 3 elements; its shape [1, 3, 16, 16] needs 768" },
        { "too many FP32 elements", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,16,16],"datatype":"FP32","data":{{Floats(new float[769])}}}]}""", 400, "has 769 elements; its shape [1, 3, 16, 16] needs 768" },
        { "a string among FP32 numbers", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,16,16],"datatype":"FP32","data":["x",{{Floats(new float[767])[1..^1]}}]}]}""", 400, "element 0 must be a finite number; got \"x\"" },
        { "FP32 without data", $$"""{"inputs":[{"name":"{{Input}}","shape":[1,3,16,16],"datatype":"FP32"}]}""", 400, "has no data" },
        { "BYTES shape not [N]", """{"inputs":[{"name":"image","shape":[1,1],"datatype":"BYTES","data":["AA=="]}]}""", 400, "shape [1, 1]; send [N]" },
        { "BYTES count not the shape", """{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["AA=="]}]}""", 400, "shape [2] but 1 elements" },
        { "BYTES not base64", """{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["not base64!"]}]}""", 400, "element 0 must be a base64 string" },
        { "BYTES too many images", $$"""{"inputs":[{"name":"image","shape":[65],"datatype":"BYTES","data":[]}]}""", 400, "1 ≤ N ≤ 64" },
        { "base64 of text, not an image", $$"""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["{{Convert.ToBase64String("hello"u8.ToArray())}}"]}]}""", 415, "Image 0 of 1: " },
        { "base64 of nothing", """{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":[""]}]}""", 400, "Image 0 of 1: " },
        { "unknown output", """{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["AA=="]}],"outputs":[{"name":"logits"}]}""", 400, "Output 'logits' does not exist" },
        { "binary_data not a bool", """{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["AA=="]}],"outputs":[{"name":"label","parameters":{"binary_data":"yes"}}]}""", 400, "must be true or false; got \"yes\"" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public async Task A_bad_JSON_request_is_refused_with_the_specs_error_object(string why, string body, int status, string message)
    {
        using var response = await server.Client.PostAsync(Infer, JsonBody(body), Ct);

        await ShouldBeErrorAsync(response, status, message, why);
    }

    public static TheoryData<string, Func<HttpContent>, int, string> BadBinary => new()
    {
        { "binary_data_size past the end", () => BinaryBody(BytesHeader(100_000), BytesTensor(TestImages.Road(true))), 400, "declares binary_data_size 100000 but only" },
        { "bytes no input accounts for", () => BinaryBody(BytesHeader(4 + 3), BytesTensor([1, 2, 3]), [9, 9]), 400, "2 bytes after the JSON" },
        { "a BYTES length prefix past the end", () => BinaryBody(BytesHeader(6), [50, 0, 0, 0, 1, 2]), 400, "4-byte little-endian lengths" },
        { "FP32 binary of the wrong size", () => BinaryBody(Fp32Header(12), new byte[12]), 400, "needs 3072 bytes of binary data; binary_data_size is 12" },
        { "both data and binary_data_size", () => BinaryBody("""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["AA=="],"parameters":{"binary_data_size":5}}]}""", new byte[5]), 400, "both \"data\" and parameters.binary_data_size" },
        { "negative binary_data_size", () => BinaryBody(BytesHeader(-1)), 400, "must be a non-negative integer; got -1" },
        { "header length not a number", () => WithHeaderLength(BinaryBody(BytesHeader(4)), "ten"), 400, "Inference-Header-Content-Length = 'ten'" },
        { "header length past the body", () => WithHeaderLength(BinaryBody(BytesHeader(4)), "100000"), 400, "between 0 and the body's" },
        { "octet-stream without the header", () => new ByteArrayContent([1, 2, 3]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, 415, "Content-Type 'application/octet-stream' is not supported" },
        { "text/plain", () => new StringContent("{}", Encoding.UTF8, "text/plain"), 415, "Content-Type 'text/plain; charset=utf-8' is not supported" },
        { "body over the limit", () => BinaryBody(BytesHeader(BodyLimit), new byte[BodyLimit]), 413, $"the limit is {BodyLimit} bytes (Serving:MaxRequestBodyBytes)" },
    };

    [Theory]
    [MemberData(nameof(BadBinary))]
    public async Task A_bad_binary_request_is_refused_with_the_specs_error_object(string why, Func<HttpContent> body, int status, string message)
    {
        using var response = await server.Client.PostAsync(Infer, body(), Ct);

        await ShouldBeErrorAsync(response, status, message, why);
    }

    [Theory]
    [InlineData("/v2/models/other/infer", "Model 'other' is not served; serving: 'dry_wet_model' version '7'.")]
    [InlineData("/v2/models/dry_wet_model/versions/3/infer", "Model 'dry_wet_model' version '3' is not served; serving: 'dry_wet_model' version '7'.")]
    public async Task An_unknown_model_or_version_is_404(string path, string message)
    {
        using var response = await server.Client.PostAsync(path, JsonBody("""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["AA=="]}]}"""), Ct);

        await ShouldBeErrorAsync(response, 404, message, path);
    }

    [Fact]
    public async Task Refused_tensors_are_counted_in_the_same_metric_as_refused_uploads()
    {
        using var _ = await server.Client.PostAsync(Infer, JsonBody("""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["!"]}]}"""), Ct);

        // The Prometheus exporter caches a scrape briefly: ask until the new count shows.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string[] lines;
        do
        {
            await Task.Delay(100, Ct);
            lines = (await server.Client.GetStringAsync("/metrics", Ct)).Split('\n');
        }
        while (!lines.Any(IsBadTensorCount) && DateTime.UtcNow < deadline);

        lines.Any(IsBadTensorCount).ShouldBeTrue(string.Join("\n", lines.Where(l => l.StartsWith("drywet_rejected", StringComparison.Ordinal))));
        static bool IsBadTensorCount(string line) => line.StartsWith("drywet_rejected_images_total{", StringComparison.Ordinal) && line.Contains("reason=\"bad_tensor\"");
    }

    private static string BytesHeader(long size) =>
        $$$"""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":{{{size}}}}}]}""";

    private static string Fp32Header(long size) =>
        $$$"""{"inputs":[{"name":"{{{Input}}}","shape":[1,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":{{{size}}}}}]}""";

    private static HttpContent WithHeaderLength(HttpContent content, string value)
    {
        content.Headers.Remove("Inference-Header-Content-Length");
        content.Headers.Add("Inference-Header-Content-Length", value);
        return content;
    }

    private static async Task ShouldBeErrorAsync(HttpResponseMessage response, int status, string message, string why)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        ((int)response.StatusCode).ShouldBe(status, $"{why}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        body.EnumerateObject().Select(p => p.Name).ShouldBe(["error"], why);
        body.GetProperty("error").GetString()!.ShouldContain(message, Case.Sensitive, why);
    }
}
