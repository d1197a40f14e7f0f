using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using DryWet.AppHost.Extensions;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The whole loop through the real AppHost in embedded mode, no Docker: "Train now" on a fresh home (the sample
/// dataset is generated first) → the trainer runs to completion under the TorchSharp host, registers and promotes
/// the model in the embedded registry → reload on serving resolves it → fresh images of both classes predicted
/// through serving's endpoint.
/// </summary>
public class EmbeddedTrainingLoopTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    [Fact]
    public async Task Train_now_then_reload_serves_a_model_that_tells_dry_from_wet()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(6));
        var ct = timeout.Token;

        var started = await platform.ExecuteCommandAsync("trainer", CommandExtensions.TrainNowCommand, ct);
        started.Success.ShouldBeTrue(started.Message);
        var finished = await platform.App.ResourceNotifications.WaitForResourceAsync("trainer",
            e => e.Snapshot.State?.Text is "Finished" or "Exited" or "FailedToStart", ct);
        finished.Snapshot.ExitCode.ShouldBe(0, $"the trainer ended in state {finished.Snapshot.State?.Text}; see its console log");

        using var http = platform.App.CreateHttpClient("serving", "http");
        using var reload = new HttpRequestMessage(HttpMethod.Post, "/model/reload");
        reload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", EmbeddedPlatformFixture.AdminKey);
        using var reloaded = await http.SendAsync(reload, ct);
        reloaded.IsSuccessStatusCode.ShouldBeTrue(await reloaded.Content.ReadAsStringAsync(ct));
        await platform.App.ResourceNotifications.WaitForResourceHealthyAsync("serving", ct);

        // Serving resolved what the trainer registered: dry_wet_model, version 1, promoted to Production.
        var info = JsonDocument.Parse(await http.GetStringAsync("/model/info", ct)).RootElement;
        info.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
        info.GetProperty("model_version").GetString().ShouldBe("1");
        info.GetProperty("model_stage").GetString().ShouldBe("Production");

        // Fresh images the model has never seen (seeds far from the sample dataset's), 5 of each class.
        var results = new List<(string Expected, string Predicted)>();
        for (var i = 0; i < 10; i++)
        {
            var wet = i % 2 == 1;
            var image = SyntheticRoadGenerator.DrawJpeg(wet, 96, seed: 700_000 + i);
            results.Add((wet ? "wet" : "dry", await PredictAsync(http, image, ct)));
        }

        var correct = results.Count(r => r.Expected == r.Predicted);
        var summary = string.Join(", ", results.Select(r => $"{r.Expected}→{r.Predicted}"));
        results.Where(r => r.Expected == "dry").ShouldContain(r => r.Predicted == "dry", summary);
        results.Where(r => r.Expected == "wet").ShouldContain(r => r.Predicted == "wet", summary);
        correct.ShouldBeGreaterThanOrEqualTo(8, summary);
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
