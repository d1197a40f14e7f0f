using System.Net;
using System.Text.Json;
using DryWet.Serving.Apis.OpenInference;
using DryWet.Tests.Training;
using static DryWet.Tests.Serving.OpenInferenceServer;

namespace DryWet.Tests.Serving;

/// <summary>
/// OIP v2 infer checks the data against the declared shape, and the shape against <c>Serving:MaxTensorElements</c>,
/// before it allocates the tensor: a huge shape with no data is a 400 that costs nothing.
/// </summary>
public sealed class OpenInferenceLimitsTests(OpenInferenceServer server) : IClassFixture<OpenInferenceServer>
{
    private const string Infer = "/v2/models/dry_wet_model/infer";
    private static readonly string Input = TestModels.InputName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Status, string Error)> PostAsync(HttpClient client, HttpContent body)
    {
        using var response = await client.PostAsync(Infer, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task The_largest_shape_with_empty_data_is_a_400_naming_the_needed_element_count()
    {
        var (status, error) = await PostAsync(server.Client,
            JsonBody($$"""{"inputs":[{"name":"{{Input}}","shape":[64,3,16,16],"datatype":"FP32","data":[]}]}"""));

        status.ShouldBe(400);
        error.ShouldContain("has 0 elements; its shape [64, 3, 16, 16] needs 49152");
    }

    [Fact]
    public async Task Binary_data_shorter_than_the_shape_is_a_400_naming_both_sizes()
    {
        var header = $$$"""{"inputs":[{"name":"{{{Input}}}","shape":[64,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":0}}]}""";

        var (status, error) = await PostAsync(server.Client, BinaryBody(header));

        status.ShouldBe(400);
        error.ShouldContain("needs 196608 bytes of binary data; binary_data_size is 0");
    }

    [Fact]
    public async Task A_request_over_MaxTensorElements_is_a_400_naming_the_setting()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: Size);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Serving:MaxTensorElements"] = "1000",
        });
        await using var _ = app;

        var (fp32, fp32Error) = await PostAsync(client,
            JsonBody($$"""{"inputs":[{"name":"{{Input}}","shape":[2,3,16,16],"datatype":"FP32","data":[]}]}"""));
        var (bytes, bytesError) = await PostAsync(client,
            JsonBody("""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["AA==","AA=="]}]}"""));

        fp32.ShouldBe(400);
        fp32Error.ShouldContain("has 1,536 elements; at most 1,000 are accepted per request (Serving:MaxTensorElements)");
        bytes.ShouldBe(400);
        bytesError.ShouldContain("decodes to [2, 3, 16, 16]");
        bytesError.ShouldContain("Serving:MaxTensorElements");
    }

    [Theory]
    [InlineData("""{"name":"input","shape":[64,3,224,224],"datatype":"FP32","data":[]}""")]
    [InlineData("""{"name":"input","shape":[64,3,224,224],"datatype":"FP32","data":[[0.5]]}""")]
    [InlineData("""{"name":"input","shape":[64,3,224,224],"datatype":"FP32","parameters":{"binary_data_size":0}}""")]
    public void A_declared_shape_without_its_data_is_refused_before_the_tensor_is_allocated(string inputJson)
    {
        // 64 × 3 × 224 × 224 floats would be 38.5 MB; the refusal must not allocate them.
        var input = JsonSerializer.Deserialize<RequestInput>(inputJson, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        var spec = new InputSpec("dry_wet_model", "input", 224, 224, MaxTensorElements: 10_000_000);
        var binary = new BinarySection(ReadOnlyMemory<byte>.Empty);
        TensorReader.Preprocessed(input, binary, spec); // warm-up: JIT and static state allocate once

        var before = GC.GetAllocatedBytesForCurrentThread();
        var (batch, error) = TensorReader.Preprocessed(input, new BinarySection(ReadOnlyMemory<byte>.Empty), spec);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        batch.ShouldBeNull();
        error!.Status.ShouldBe(400);
        allocated.ShouldBeLessThan(64 * 1024, $"refusing allocated {allocated} bytes");
    }
}
