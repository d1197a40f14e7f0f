using System.Net;
using System.Text.Json;
using DryWet.Core.Feedback;
using SkiaSharp;
using static DryWet.Tests.Serving.OpenInferenceServer;

namespace DryWet.Tests.Serving;

/// <summary>
/// One data plane: <c>/v2/models/{name}/infer</c> (JSON and binary, encoded and preprocessed, every image of a batch)
/// is logged and measured like <c>/predict</c> — through the real HTTP API, read back from the embedded store.
/// </summary>
[Collection(PredictionLogTests.Collection)]
public sealed class OpenInferenceLoggingTests
{
    private const string Version = "oip-logging";
    private const string Infer = "/v2/models/dry_wet_model/infer";
    private static readonly Dictionary<string, string?> LogEverything = new() { ["Serving:PredictionLog:SampleRate"] = "1" };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_image_of_a_JSON_BYTES_batch_is_logged_with_its_own_answer_and_its_brightness_recorded()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything, version: Version);
        byte[][] images = [TestImages.Road(wet: true), TestImages.Road(wet: false), TestImages.Solid(new SKColor(250, 250, 250), size: 24)];
        var body = $$"""{"inputs":[{"name":"image","shape":[3],"datatype":"BYTES","data":[{{string.Join(",", images.Select(i => $"\"{Convert.ToBase64String(i)}\""))}}]}]}""";

        using var response = await server.Client.PostAsync(Infer, JsonBody(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var labels = Labels(await Json(response));
        labels.ShouldBe(["wet", "dry", "dry"]);
        var logged = await LoggedAsync(server, 3);
        foreach (var (record, image) in logged)
        {
            var index = Array.FindIndex(images, i => i.AsSpan().SequenceEqual(image));
            index.ShouldBeGreaterThanOrEqualTo(0, "each logged image is one of the batch, byte for byte");
            record.Prediction.ShouldBe(labels[index]);
            record.ModelVersion.ShouldBe(Version);
            record.Size.ShouldBe(images[index].Length);
            record.Shadow.ShouldBeNull("a local package has no shadow");
        }

        logged.Select(l => Array.FindIndex(images, i => i.AsSpan().SequenceEqual(l.Image))).Order().ShouldBe([0, 1, 2]);
        (await server.WaitForMetricAsync("drywet_input_brightness_count", "model_version=\"oip-logging\"", 3)).ShouldBe(3);
        (await server.MetricAsync("drywet_input_brightness_bucket", "model_version=\"oip-logging\",le=\"0.9\"")).ShouldBe(2, "the near-white image is above 0.9, the roads below");
    }

    [Fact]
    public async Task Binary_BYTES_images_are_logged_like_predict()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything, version: Version);
        var (dry, wet) = (TestImages.Road(wet: false), TestImages.Road(wet: true));
        var tensor = BytesTensor(dry, wet);
        var header = $$$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":{{{tensor.Length}}}}}]}""";

        using var response = await server.Client.PostAsync(Infer, BinaryBody(header, tensor), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var logged = await LoggedAsync(server, 2);
        logged.Single(l => l.Image.SequenceEqual(dry)).Record.Prediction.ShouldBe("dry");
        logged.Single(l => l.Image.SequenceEqual(wet)).Record.Prediction.ShouldBe("wet");
        logged.ShouldAllBe(l => l.Record.ContentType == "image/jpeg");
    }

    [Fact]
    public async Task Preprocessed_FP32_images_are_logged_as_the_PNG_of_what_the_model_saw()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything, version: Version);
        // The server's model: 32×32, mean 0.5, std 0.25 per channel. Normalized −1 = pixel 0.25 (64), +1 = 0.75 (191).
        const int size = 32;
        float[] Plane(float v) => [.. Enumerable.Repeat(v, size * size)];
        float[] red = [.. Plane(1), .. Plane(-1), .. Plane(-1)];
        float[] blue = [.. Plane(-1), .. Plane(-1), .. Plane(1)];
        var body = $$"""{"inputs":[{"name":"{{TestModels.InputName}}","shape":[2,3,{{size}},{{size}}],"datatype":"FP32","data":{{Floats([.. red, .. blue])}}}]}""";

        using var response = await server.Client.PostAsync(Infer, JsonBody(body), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Labels(await Json(response)).ShouldBe(["dry", "wet"]);
        var logged = await LoggedAsync(server, 2);
        foreach (var (record, image) in logged)
        {
            record.ContentType.ShouldBe("image/png");
            record.Size.ShouldBe(image.Length);
            using var bitmap = SKBitmap.Decode(image);
            (bitmap.Width, bitmap.Height).ShouldBe((size, size));
            var pixel = bitmap.GetPixel(size / 2, size / 2);
            var expected = record.Prediction == "dry" ? new SKColor(191, 64, 64) : new SKColor(64, 64, 191);
            pixel.ShouldBe(expected, $"the {record.Prediction} image is the tensor's picture");
        }

        logged.Select(l => l.Record.Prediction).Order().ShouldBe(["dry", "wet"]);
        (await server.WaitForMetricAsync("drywet_input_brightness_count", "model_version=\"oip-logging\"", 2)).ShouldBe(2);
    }

    [Fact]
    public async Task A_batch_refused_for_one_bad_image_logs_nothing()
    {
        await using var server = await PredictionLogServer.StartAsync(LogEverything, version: Version);
        var good = TestImages.Road(wet: true);
        var body = $$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["{{Convert.ToBase64String(good)}}","{{Convert.ToBase64String(good[..(good.Length / 2)])}}"]}]}""";

        using var refused = await server.Client.PostAsync(Infer, JsonBody(body), Ct);
        refused.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await Json(refused)).GetProperty("error").GetString()!.ShouldStartWith("Image 1 of 2: ");
        (await server.PredictAsync(good)).Status.ShouldBe(HttpStatusCode.OK);

        // The good /predict is written; had the refused batch queued anything, it would have been written first.
        (await LoggedAsync(server, 1)).Single().Image.ShouldBe(good);
        await Task.Delay(200, Ct);
        server.LoggedFiles().Count.ShouldBe(2);
    }

    /// <summary>Waits for <paramref name="count"/> records and reads each with its image.</summary>
    private static async Task<List<(PredictionLogRecord Record, byte[] Image)>> LoggedAsync(PredictionLogServer server, int count)
    {
        await Eventually.TrueAsync(() => server.LoggedFiles().Count(f => f.EndsWith(".json", StringComparison.Ordinal)) >= count
            && server.LoggedFiles().Count >= 2 * count, $"{count} records and images are written");
        var files = server.LoggedFiles();
        return files.Where(f => f.EndsWith(".json", StringComparison.Ordinal)).Select(f =>
        {
            var record = JsonSerializer.Deserialize<PredictionLogRecord>(File.ReadAllText(Path.Combine(server.PredictionsFolder, f)), PredictionLogRecord.Json)!;
            var image = files.Single(i => !i.EndsWith(".json", StringComparison.Ordinal) && Path.GetFileNameWithoutExtension(i) == record.Id);
            return (record, File.ReadAllBytes(Path.Combine(server.PredictionsFolder, image)));
        }).ToList();
    }

    private static string[] Labels(JsonElement json) =>
        json.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "label")
            .GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToArray();

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
}
