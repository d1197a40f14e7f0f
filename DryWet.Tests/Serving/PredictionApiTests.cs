using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DryWet.Tests.Training;
using SkiaSharp;

namespace DryWet.Tests.Serving;

/// <summary>One server with a dynamic-size logits model (unusual tensor names) and a 1 MB body limit.</summary>
public sealed class LoadedServer : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    public ServingApp App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public const float K = 4f;

    public async ValueTask InitializeAsync()
    {
        var package = TestModels.WritePackage(_folder.Sub("package"), TestModels.BlueVersusRed(K), imgSize: 32);
        (App, Client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Serving:MaxRequestBodyBytes"] = (1024 * 1024).ToString(),
        });
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        _folder.Dispose();
    }
}

public class PredictionApiTests(LoadedServer server) : IClassFixture<LoadedServer>
{
    private HttpClient Client => server.Client;

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpContent content)
    {
        using var response = await Client.PostAsync("/predict", content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Theory]
    [InlineData(true, "wet")]
    [InlineData(false, "dry")]
    public async Task Predict_classifies_blue_roads_as_wet_and_red_roads_as_dry(bool wet, string expected)
    {
        var (status, body) = await PostAsync(ServingApp.ImageForm(TestImages.Road(wet)));

        status.ShouldBe(HttpStatusCode.OK);
        body.GetProperty("prediction").GetString().ShouldBe(expected);
        var dry = body.GetProperty("probabilities").GetProperty("dry").GetSingle();
        var wetP = body.GetProperty("probabilities").GetProperty("wet").GetSingle();
        (dry + wetP).ShouldBe(1f, 1e-5f);
        body.GetProperty("model_version").GetString().ShouldNotBeNullOrEmpty();
        body.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
    }

    [Fact]
    public async Task Predict_probabilities_are_the_softmax_of_the_known_logits()
    {
        // Solid colour: channel means are exact. Normalized with mean 0.5, std 0.25 (the package's config.yaml).
        var colour = new SKColor(60, 100, 180);
        var (_, body) = await PostAsync(ServingApp.ImageForm(TestImages.Solid(colour, 40), fileName: "solid.png", contentType: "image/png"));

        float Norm(byte v) => (v / 255f - 0.5f) / 0.25f;
        var expected = TestModels.WetProbability(LoadedServer.K, Norm(colour.Red), Norm(colour.Blue));
        body.GetProperty("probabilities").GetProperty("wet").GetDouble().ShouldBe(expected, 1e-4);
    }

    [Fact]
    public async Task Predict_answers_many_concurrent_requests_correctly()
    {
        var tasks = Enumerable.Range(0, 40).Select(async i =>
        {
            var (status, body) = await PostAsync(ServingApp.ImageForm(TestImages.Road(i % 2 == 0)));
            status.ShouldBe(HttpStatusCode.OK);
            return body.GetProperty("prediction").GetString() == (i % 2 == 0 ? "wet" : "dry");
        });

        (await Task.WhenAll(tasks)).ShouldAllBe(correct => correct);
    }

    /// <summary>
    /// The file part is read straight into a pooled buffer: a chunked body (no Content-Length, so the buffer starts at
    /// 64 KB and must grow) of a 1920×1080 noisy JPEG well over that, after a text part, is classified like the same
    /// image sent with its length.
    /// </summary>
    [Fact]
    public async Task A_chunked_upload_larger_than_the_first_buffer_after_a_text_part_is_classified_like_a_sized_one()
    {
        var image = TestImages.NoisyPhoto(640, 480);
        image.Length.ShouldBeGreaterThan(2 * 64 * 1024, "the upload must outgrow the first pooled buffer (64 KB) twice");
        var (sizedStatus, sized) = await PostAsync(ServingApp.ImageForm(image));
        sizedStatus.ShouldBe(HttpStatusCode.OK);

        using var form = new MultipartFormDataContent { { new StringContent("a note"), "comment" } };
        form.Add(new ByteArrayContent(image) { Headers = { ContentType = new("image/jpeg") } }, "file", "noisy.jpg");
        using var chunked = new StreamContent(await form.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        chunked.Headers.ContentType = form.Headers.ContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToString());
        body.GetProperty("prediction").GetString().ShouldBe(sized.GetProperty("prediction").GetString());
        body.GetProperty("probabilities").GetProperty("wet").GetSingle().ShouldBe(sized.GetProperty("probabilities").GetProperty("wet").GetSingle());
    }

    [Fact]
    public async Task Predict_returns_415_for_a_text_file()
    {
        var (status, body) = await PostAsync(ServingApp.ImageForm("just some text, not an image"u8.ToArray(), fileName: "notes.txt", contentType: "text/plain"));
        status.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        body.GetProperty("error").GetString()!.ShouldContain("not an image");
    }

    [Fact]
    public async Task Predict_returns_415_for_a_json_body_instead_of_multipart()
    {
        var (status, body) = await PostAsync(new StringContent("{\"instances\": [1, 2]}", Encoding.UTF8, "application/json"));
        status.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        body.GetProperty("error").GetString()!.ShouldContain("multipart/form-data");
    }

    [Fact]
    public async Task Predict_returns_400_for_an_empty_file()
    {
        var (status, body) = await PostAsync(ServingApp.ImageForm([]));
        status.ShouldBe(HttpStatusCode.BadRequest);
        body.GetProperty("error").GetString()!.ShouldContain("empty");
    }

    [Fact]
    public async Task Predict_returns_400_when_the_file_field_has_another_name()
    {
        var (status, body) = await PostAsync(ServingApp.ImageForm(TestImages.Road(true), field: "image"));
        status.ShouldBe(HttpStatusCode.BadRequest);
        body.GetProperty("error").GetString()!.ShouldContain("'image'");
    }

    [Fact]
    public async Task Predict_returns_400_when_the_form_has_no_file()
    {
        var (status, body) = await PostAsync(new MultipartFormDataContent { { new StringContent("hello"), "comment" } });
        status.ShouldBe(HttpStatusCode.BadRequest);
        body.GetProperty("error").GetString()!.ShouldContain("Missing file field 'file'");
    }

    [Fact]
    public async Task Predict_returns_400_when_file_is_sent_as_text_instead_of_a_file()
    {
        var (status, body) = await PostAsync(new MultipartFormDataContent { { new StringContent("road.jpg"), "file" } });
        status.ShouldBe(HttpStatusCode.BadRequest);
        body.GetProperty("error").GetString()!.ShouldContain("sent as text");
    }

    [Fact]
    public async Task Predict_returns_422_for_a_truncated_jpeg()
    {
        var jpeg = TestImages.Road(true, 256, 256);
        var (status, body) = await PostAsync(ServingApp.ImageForm(jpeg[..(jpeg.Length / 2)]));
        status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        body.GetProperty("error").GetString()!.ShouldContain("truncated");
    }

    [Fact]
    public async Task Predict_returns_413_for_an_image_header_claiming_60000_by_60000_pixels()
    {
        var bomb = TestImages.WithJpegDimensions(TestImages.Road(true), 60000, 60000);
        var (status, body) = await PostAsync(ServingApp.ImageForm(bomb));
        status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        body.GetProperty("error").GetString()!.ShouldContain("60000×60000");
    }

    [Fact]
    public async Task Predict_returns_413_for_a_body_over_the_configured_limit()
    {
        var (status, body) = await PostAsync(ServingApp.ImageForm(new byte[2 * 1024 * 1024]));
        status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        body.GetProperty("error").GetString()!.ShouldContain("limit");
    }

    [Fact]
    public async Task A_body_far_over_the_limit_is_cut_off_without_harming_the_server()
    {
        // Beyond twice the limit Kestrel does not drain the upload: the client sees 413 or a closed connection.
        // Its own client, so that a closed connection never lands in the shared pool.
        using (var abusive = new HttpClient { BaseAddress = Client.BaseAddress })
        {
            try
            {
                using var response = await abusive.PostAsync("/predict", ServingApp.ImageForm(new byte[6 * 1024 * 1024]), TestContext.Current.CancellationToken);
                response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
            }
            catch (HttpRequestException)
            {
                // Connection closed while uploading: acceptable for an abusive body.
            }
        }

        var (status, _) = await PostAsync(ServingApp.ImageForm(TestImages.Road(true)));
        status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Randomly_mutated_jpegs_never_get_a_5xx_and_the_server_stays_healthy()
    {
        var original = TestImages.Road(true, 96, 64);
        var random = new Random(1234);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 150; i++)
        {
            var mutated = (byte[])original.Clone();
            var edits = random.Next(1, 12);
            for (var e = 0; e < edits; e++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            if (i % 10 == 0)
            {
                mutated = mutated[..random.Next(1, mutated.Length)];
            }

            using var response = await Client.PostAsync("/predict", ServingApp.ImageForm(mutated), TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
        }

        statuses.ShouldAllBe(s => (int)s < 500);
        statuses.ShouldContain(HttpStatusCode.OK); // most single-byte edits leave a decodable JPEG
        (await Client.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_the_serving_metrics()
    {
        await PostAsync(ServingApp.ImageForm(TestImages.Road(true)));
        await PostAsync(ServingApp.ImageForm([]));

        var metrics = await Client.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        foreach (var name in new[]
                 {
                     "drywet_requests_total", "drywet_request_duration_seconds_bucket", "drywet_decode_duration_seconds_bucket",
                     "drywet_preprocess_duration_seconds_bucket", "drywet_inference_duration_seconds_bucket", "drywet_predictions_total",
                     "drywet_model_reloads_total", "drywet_model_info", "drywet_rejected_images_total",
                     "drywet_process_working_set_bytes", "drywet_gc_heap_bytes", "drywet_gc_committed_bytes",
                 })
        {
            metrics.ShouldContain(name);
        }

        metrics.ShouldContain("endpoint=\"/predict\"");
        metrics.ShouldContain("class=\"wet\"");
        metrics.ShouldContain("provider=\"CPUExecutionProvider\"");
        // One series per serving host alive in this test process (the gauge observes the process): each is the process's size.
        var workingSets = metrics.Split('\n').Where(l => l.StartsWith("drywet_process_working_set_bytes", StringComparison.Ordinal) && !l.StartsWith('#')).ToList();
        workingSets.ShouldNotBeEmpty();
        foreach (var line in workingSets)
        {
            double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(20e6, line); // a loaded server is tens of MB at least
        }
    }

    [Fact]
    public async Task Predict_emits_decode_preprocess_and_inference_spans()
    {
        var names = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "DryWet.Serving",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = activity => names.Add(activity.OperationName),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        var (status, _) = await PostAsync(ServingApp.ImageForm(TestImages.Road(true)));

        status.ShouldBe(HttpStatusCode.OK);
        names.ShouldContain("decode");
        names.ShouldContain("preprocess");
        names.ShouldContain("inference");
    }

    [Fact]
    public async Task OpenApi_document_describes_the_endpoints_in_development()
    {
        var document = await Client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        document.ShouldContain("/predict");
        document.ShouldContain("/model/reload");
        (await Client.GetAsync("/scalar/v1", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
