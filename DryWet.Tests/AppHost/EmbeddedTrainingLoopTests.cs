using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DryWet.AppHost.Extensions;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The whole loop through the real AppHost in embedded mode, no Docker, exactly as a new user clicks it: "Load sample
/// data" (its defaults) → "Train now" (the default config) → the trainer runs to completion under the TorchSharp
/// host, registers and promotes the model in the embedded registry → "Reload model" on serving resolves it → fresh
/// sample images of both classes (other seeds, the sample data's size) predicted through serving's endpoint, ≥ 95 %.
/// </summary>
public class EmbeddedTrainingLoopTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    [Fact]
    public async Task Train_now_then_reload_serves_a_model_that_tells_dry_from_wet()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(6));
        var ct = timeout.Token;

        var loaded = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, ct);
        loaded.Success.ShouldBeTrue(loaded.Message);
        var started = await platform.ExecuteCommandAsync("trainer", CommandExtensions.TrainNowCommand, ct);
        started.Success.ShouldBeTrue(started.Message);
        var finished = await platform.App.ResourceNotifications.WaitForResourceAsync("trainer",
            e => e.Snapshot.State?.Text is "Finished" or "Exited" or "FailedToStart", ct);
        finished.Snapshot.ExitCode.ShouldBe(0, $"the trainer ended in state {finished.Snapshot.State?.Text}; see its console log");

        var reloaded = await platform.ExecuteCommandAsync("serving", CommandExtensions.ReloadModelCommand, ct);
        reloaded.Success.ShouldBeTrue(reloaded.Message);
        using var http = platform.App.CreateHttpClient("serving", "http");
        await platform.App.ResourceNotifications.WaitForResourceHealthyAsync("serving", ct);

        // Serving resolved what the trainer registered: dry_wet_model, version 1, promoted to Production.
        var info = JsonDocument.Parse(await http.GetStringAsync("/model/info", ct)).RootElement;
        info.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
        info.GetProperty("model_version").GetString().ShouldBe("1");
        info.GetProperty("model_stage").GetString().ShouldBe("Production");

        // Fresh sample images the model has never seen (another data seed), as "Load sample data" draws them: 20 per class.
        var results = new List<(string Expected, string Predicted)>();
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < 20; i++)
            {
                var image = SyntheticRoadGenerator.DrawJpeg(wet: c == 1, SampleDataset.DefaultSize, SampleDataset.ImageSeed(4242, c, i));
                results.Add((c == 1 ? "wet" : "dry", await PredictAsync(http, image, ct)));
            }
        }

        var accuracy = results.Count(r => r.Expected == r.Predicted) / (double)results.Count;
        var summary = string.Join(", ", results.Select(r => $"{r.Expected}→{r.Predicted}"));
        TestContext.Current.SendDiagnosticMessage($"served model on fresh sample images: {accuracy:P1}");
        accuracy.ShouldBeGreaterThanOrEqualTo(0.95, summary);
    }

    private static async Task<string> PredictAsync(HttpClient http, byte[] jpeg, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(jpeg);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "road.jpg");

        using var response = await http.PostAsync("/predict", form, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        response.IsSuccessStatusCode.ShouldBeTrue(body);
        return JsonDocument.Parse(body).RootElement.GetProperty("prediction").GetString()!;
    }
}
