using System.Net;
using System.Text.Json;
using static DryWet.Tests.Serving.OpenInferenceServer;

namespace DryWet.Tests.Serving;

/// <summary>
/// The OIP v2 infer body is read into one pooled buffer, sized by Content-Length or, for a chunked body, grown from
/// 64 KB: a chunked request larger than that first buffer is answered exactly like the same request with its length,
/// and a chunked body over Serving:MaxRequestBodyBytes (256 KB here) is the documented 413, not a 500.
/// </summary>
public sealed class OpenInferenceChunkedBodyTests(OpenInferenceServer server) : IClassFixture<OpenInferenceServer>
{
    private const string Infer = "/v2/models/dry_wet_model/infer";
    private const int FirstBuffer = 64 * 1024;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_chunked_JSON_request_larger_than_the_first_buffer_is_answered_like_the_sized_one()
    {
        // 16 images of 768 distinct long floats: about 140 KB of JSON, twice the first buffer.
        var random = new Random(3);
        var values = Enumerable.Range(0, 16 * 3 * Size * Size).Select(_ => (float)(random.NextDouble() * 2 - 1));
        var json = $$"""{"id":"big","inputs":[{"name":"{{TestModels.InputName}}","shape":[16,3,{{Size}},{{Size}}],"datatype":"FP32","data":{{Floats(values)}}}]}""";
        System.Text.Encoding.UTF8.GetByteCount(json).ShouldBeInRange(2 * FirstBuffer, BodyLimit, "the body must outgrow the first buffer twice and stay under the limit");

        var (sizedStatus, sized) = await SendAsync(JsonBody(json), chunked: false);
        var (chunkedStatus, chunked) = await SendAsync(JsonBody(json), chunked: true);

        sizedStatus.ShouldBe(HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(sized));
        chunkedStatus.ShouldBe(HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(chunked));
        chunked.ShouldBe(sized);
        JsonDocument.Parse(chunked).RootElement.GetProperty("outputs")[0].GetProperty("shape")[0].GetInt32().ShouldBe(16);
    }

    [Fact]
    public async Task A_chunked_binary_request_larger_than_the_first_buffer_is_answered_like_the_sized_one()
    {
        var images = BytesTensor(TestImages.NoisyPhoto(640, 480, seed: 1), TestImages.Road(wet: true));
        var header = $$$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":{{{images.Length}}}}}],"parameters":{"binary_data_output":true}}""";
        images.Length.ShouldBeInRange(2 * FirstBuffer, BodyLimit - 1024, "the body must outgrow the first buffer twice and stay under the limit");

        var (sizedStatus, sized) = await SendAsync(BinaryBody(header, images), chunked: false);
        var (chunkedStatus, chunked) = await SendAsync(BinaryBody(header, images), chunked: true);

        sizedStatus.ShouldBe(HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(sized));
        chunkedStatus.ShouldBe(HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(chunked));
        chunked.ShouldBe(sized); // the same JSON header and the same binary probabilities and labels
    }

    [Fact]
    public async Task A_chunked_JSON_or_binary_body_over_the_limit_is_the_documented_413()
    {
        var json = $$"""{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","data":["{{Convert.ToBase64String(new byte[BodyLimit])}}"]}]}""";
        var header = """{"inputs":[{"name":"image","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":262144}}]}""";

        foreach (var body in new Func<HttpContent>[] { () => JsonBody(json), () => BinaryBody(header, new byte[BodyLimit]) })
        {
            var (status, answer) = await SendAsync(body(), chunked: true);

            status.ShouldBe(HttpStatusCode.RequestEntityTooLarge, System.Text.Encoding.UTF8.GetString(answer));
            JsonDocument.Parse(answer).RootElement.GetProperty("error").GetString()
                .ShouldBe($"The request body exceeds the limit of {BodyLimit} bytes (Serving:MaxRequestBodyBytes). Send a smaller image.");
        }

        // The server goes on answering on the same client.
        var (after, _) = await SendAsync(BinaryBody(header.Replace("262144", "0", StringComparison.Ordinal)), chunked: true);
        after.ShouldBe(HttpStatusCode.BadRequest); // shape [1] with no elements: a bad tensor, read and answered
    }

    /// <summary>Posts <paramref name="content"/> with its Content-Length, or chunked (Transfer-Encoding: chunked, no length).</summary>
    private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpContent content, bool chunked)
    {
        using var original = content;
        using var sent = chunked ? new StreamContent(await original.ReadAsStreamAsync(Ct)) : null;
        if (sent is not null)
        {
            sent.Headers.ContentType = original.Headers.ContentType;
            if (original.Headers.TryGetValues("Inference-Header-Content-Length", out var length))
            {
                sent.Headers.Add("Inference-Header-Content-Length", length);
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Infer) { Content = sent ?? original };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await server.Client.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Ct));
    }
}
