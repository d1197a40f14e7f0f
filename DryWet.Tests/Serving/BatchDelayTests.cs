using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DryWet.Serving.Inference;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Serving;

/// <summary>
/// The tuned batching delay holds a batch open only while more images are on their way (requests decoding or waiting
/// to decode, or requests arriving less than a delay apart): a lone client's request runs at once instead of waiting
/// for company that cannot come. Run times are injected (<see cref="FakeBatchTimer"/>: 16 s for one image, 3 s per
/// image in batches), so the plan is batches of 2 with a tuned delay of 8 s: a request that waited it out would take
/// 8 s. (A configured delay is waited in full: <see cref="InferenceQueueTests"/> hold their runs with one.)
/// </summary>
public sealed class BatchDelayTests
{
    private static readonly TimeSpan TunedDelay = TimeSpan.FromSeconds(8);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_lone_request_does_not_wait_out_the_tuned_delay_while_an_announced_image_holds_the_batch_open()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var timer = new FakeBatchTimer((_, size) => size == 1 ? 16_000 : 3_000);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package }, services: timer.Register);
        await using var _ = app;
        var batching = JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement.GetProperty("batching");
        batching.GetProperty("max_batch_size").GetInt32().ShouldBe(2);
        batching.GetProperty("max_batch_delay_ms").GetDouble().ShouldBe(TunedDelay.TotalMilliseconds);
        batching.GetProperty("max_batch_delay_source").GetString().ShouldBe("tuned");

        // Nothing else on its way: the batch of one runs now, not after the delay.
        var lone = Stopwatch.StartNew();
        using (var response = await PredictAsync(client))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        lone.Elapsed.ShouldBeLessThan(TunedDelay / 2, "a lone request must not wait for company that cannot come");

        // An image announced as on its way (as a request decoding its upload announces it) holds the batch open. The
        // request comes more than a delay after the last one, so only the announcement can hold it.
        await Task.Delay(TunedDelay + TimeSpan.FromSeconds(1), Ct);
        var model = app.Services.GetRequiredService<ModelHost>().Current!;
        Task<HttpResponseMessage> held;
        using (model.ExpectImages(1))
        {
            held = PredictAsync(client);
            await Eventually.TrueAsync(() => model.QueuedRequests == 1, "the request is queued", seconds: 30);
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            held.IsCompleted.ShouldBeFalse("the runner waits for the announced image");
            model.QueuedRequests.ShouldBe(1);
        }

        // Given up: the runner stops waiting at once.
        var released = Stopwatch.StartNew();
        using (var response = await held)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        released.Elapsed.ShouldBeLessThan(TunedDelay / 2, "an image given up must wake the runner");
    }

    private static Task<HttpResponseMessage> PredictAsync(HttpClient client) =>
        client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
}
