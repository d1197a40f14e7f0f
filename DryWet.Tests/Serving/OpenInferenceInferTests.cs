using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using static DryWet.Tests.Serving.OpenInferenceServer;

namespace DryWet.Tests.Serving;

/// <summary>
/// <c>POST /v2/models/{name}[/versions/{v}]/infer</c>: FP32 preprocessed and BYTES encoded-image inputs, 1 and N
/// images, JSON and Triton binary tensors in both directions, the requested outputs, server and version metadata.
/// </summary>
public sealed class OpenInferenceInferTests(OpenInferenceServer server) : IClassFixture<OpenInferenceServer>
{
    private const string Infer = "/v2/models/dry_wet_model/infer";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_FP32_image_in_JSON_answers_the_softmax_of_its_known_logits_and_the_label()
    {
        var body = $$"""{"id":"req-1","inputs":[{"name":"{{TestModels.InputName}}","shape":[1,3,16,16],"datatype":"FP32","data":{{Floats(Image(red: 0.1f, blue: 0.6f))}}}]}""";

        using var response = await server.Client.PostAsync(Infer, JsonBody(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var json = await Json(response);
        json.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
        json.GetProperty("model_version").GetString().ShouldBe("7");
        json.GetProperty("id").GetString().ShouldBe("req-1");
        var probabilities = Output(json, "probabilities");
        probabilities.GetProperty("datatype").GetString().ShouldBe("FP32");
        probabilities.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ShouldBe([1L, 2]);
        var rows = probabilities.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        rows[1].ShouldBe(TestModels.WetProbability(K, 0.1f, 0.6f), 1e-5);
        (rows[0] + rows[1]).ShouldBe(1, 1e-5);
        var label = Output(json, "label");
        label.GetProperty("datatype").GetString().ShouldBe("BYTES");
        label.GetProperty("data").EnumerateArray().Select(v => v.GetString()).ShouldBe(["wet"]);
    }

    [Fact]
    public async Task N_FP32_images_as_a_nested_array_answer_one_row_and_label_each_in_order()
    {
        float[][] images = [Image(red: 1, blue: -1), Image(red: -1, blue: 1), Image(red: 0.5f, blue: 0.2f)];
        var nested = "[" + string.Join(",", images.Select(i => "[" + string.Join(",", i.Chunk(Size * Size).Select(c => "[" + string.Join(",", c.Chunk(Size).Select(Floats)) + "]")) + "]")) + "]";
        var body = $$"""{"inputs":[{"name":"{{TestModels.InputName}}","shape":[3,3,16,16],"datatype":"FP32","data":{{nested}}}],"outputs":[{"name":"label"}]}""";

        using var response = await server.Client.PostAsync("/v2/models/dry_wet_model/versions/7/infer", JsonBody(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = await Json(response);
        json.GetProperty("outputs").GetArrayLength().ShouldBe(1); // only what was asked for
        json.TryGetProperty("id", out _).ShouldBeFalse();
        Output(json, "label").GetProperty("data").EnumerateArray().Select(v => v.GetString()).ShouldBe(["dry", "wet", "dry"]);
    }

    [Fact]
    public async Task BYTES_images_as_base64_strings_are_decoded_and_classified_like_predict()
    {
        var wet = Convert.ToBase64String(TestImages.Road(wet: true));
        var dry = Convert.ToBase64String(TestImages.Road(wet: false));
        var body = $$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["{{wet}}","{{dry}}"]}]}""";

        using var response = await server.Client.PostAsync(Infer, JsonBody(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = await Json(response);
        Output(json, "label").GetProperty("data").EnumerateArray().Select(v => v.GetString()).ShouldBe(["wet", "dry"]);
        Output(json, "probabilities").GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ShouldBe([2L, 2]);
    }

    [Fact]
    public async Task Raw_image_bytes_in_binary_with_binary_outputs_come_back_as_JSON_then_tensors()
    {
        var images = BytesTensor(TestImages.Road(wet: false), TestImages.Road(wet: true));
        var header = $$$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":{{{images.Length}}}}}],"parameters":{"binary_data_output":true}}""";

        using var response = await server.Client.PostAsync(Infer, BinaryBody(header, images), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/octet-stream");
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single());
        var body = await response.Content.ReadAsByteArrayAsync(Ct);
        var json = JsonDocument.Parse(body.AsMemory(0, headerLength)).RootElement;
        var probabilities = Output(json, "probabilities");
        probabilities.TryGetProperty("data", out _).ShouldBeFalse();
        probabilities.GetProperty("parameters").GetProperty("binary_data_size").GetInt64().ShouldBe(16); // 2 × 2 × FP32
        var label = Output(json, "label");
        var labelSize = label.GetProperty("parameters").GetProperty("binary_data_size").GetInt64();
        body.Length.ShouldBe(headerLength + 16 + (int)labelSize);

        var floats = Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(body.AsSpan(headerLength + 4 * i))).ToArray();
        (floats[0] > floats[1]).ShouldBeTrue(); // image 0 is dry
        (floats[3] > floats[2]).ShouldBeTrue(); // image 1 is wet
        var labels = new List<string>();
        for (var offset = headerLength + 16; offset < body.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(offset));
            labels.Add(Encoding.UTF8.GetString(body, offset + 4, length));
            offset += 4 + length;
        }

        labels.ShouldBe(["dry", "wet"]);
    }

    [Fact]
    public async Task A_binary_FP32_input_with_one_binary_output_and_one_JSON_output()
    {
        var tensor = Fp32Tensor(Image(red: -0.5f, blue: 0.5f));
        var header = $$$"""{"inputs":[{"name":"{{{TestModels.InputName}}}","shape":[1,3,16,16],"datatype":"FP32","parameters":{"binary_data_size":{{{tensor.Length}}}}}],"outputs":[{"name":"label"},{"name":"probabilities","parameters":{"binary_data":true}}]}""";

        using var response = await server.Client.PostAsync(Infer, BinaryBody(header, tensor), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single());
        var body = await response.Content.ReadAsByteArrayAsync(Ct);
        var json = JsonDocument.Parse(body.AsMemory(0, headerLength)).RootElement;
        json.GetProperty("outputs")[0].GetProperty("name").GetString().ShouldBe("label"); // the request's order
        Output(json, "label").GetProperty("data")[0].GetString().ShouldBe("wet");
        body.Length.ShouldBe(headerLength + 8);
        BinaryPrimitives.ReadSingleLittleEndian(body.AsSpan(headerLength + 4)).ShouldBe((float)TestModels.WetProbability(K, -0.5f, 0.5f), 1e-5f);
    }

    [Fact]
    public async Task Server_metadata_lists_the_binary_extension_and_versioned_metadata_and_readiness_answer()
    {
        var metadata = await Json(await server.Client.GetAsync("/v2", Ct));
        metadata.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()).ShouldContain("binary_tensor_data");

        var model = await Json(await server.Client.GetAsync("/v2/models/dry_wet_model/versions/7", Ct));
        model.GetProperty("versions").EnumerateArray().Select(v => v.GetString()).ShouldBe(["7"]);
        model.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()).ShouldBe(["probabilities", "label"]);
        (await server.Client.GetAsync("/v2/models/dry_wet_model/versions/7/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await server.Client.GetAsync("/v2/models/dry_wet_model/versions/8/ready", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var missing = await server.Client.GetAsync("/v2/models/dry_wet_model/versions/8", Ct);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Json(missing)).GetProperty("error").GetString().ShouldBe("Model 'dry_wet_model' version '8' is not served; serving: 'dry_wet_model' version '7'.");
    }

    private static JsonElement Output(JsonElement response, string name) =>
        response.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == name);

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
