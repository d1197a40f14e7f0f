using DryWet.Core.Imaging;
using System.Net;
using System.Text.Json;
using DryWet.Serving.Admission;
using DryWet.Tests.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Serving;

/// <summary>
/// <c>POST /predict</c> under the decode limits: an image over <c>Serving:MaxImagePixels</c> is refused from its header
/// (413 naming its size) with the defaults a user gets; a decode that finds the budget taken waits, then is shed with
/// 503 and <c>Retry-After</c>; the budget is whole again after every answer (success, corrupt image, refusal).
/// </summary>
public sealed class DecodeLimitsApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpResponseMessage Response, string Error)> PredictAsync(HttpClient client, byte[] image)
    {
        var response = await client.PostAsync("/predict", ServingApp.ImageForm(image), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var error = response.IsSuccessStatusCode ? "" : JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        return (response, error);
    }

    [Theory]
    [InlineData(8000, 8000)]
    [InlineData(7000, 6000)]
    public async Task With_the_defaults_an_image_over_40_megapixels_is_refused_from_its_header_with_413_naming_its_size(int width, int height)
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;
        var bomb = TestImages.WithJpegDimensions(TestImages.Road(wet: true), (ushort)width, (ushort)height);

        var (response, error) = await PredictAsync(client, bomb);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        error.ShouldContain($"{width}×{height}");
        error.ShouldContain("40,000,000");
        error.ShouldContain("Serving:MaxImagePixels");
        app.Services.GetRequiredService<DecodeBudget>().ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_decode_that_finds_the_budget_taken_is_shed_with_503_and_Retry_After_and_succeeds_once_memory_is_back()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Serving:DecodeMemoryBudgetMB"] = "1",
            ["Serving:MaxImagePixels"] = "100000",
            ["Serving:MaxRequestBodyBytes"] = "262144",
            ["Serving:QueueTimeout"] = "00:00:00.300",
        });
        await using var _ = app;
        var budget = app.Services.GetRequiredService<DecodeBudget>();

        // Other decodes hold the whole budget.
        using (await budget.ReserveAsync(budget.CapacityBytes, Ct))
        {
            var (busy, error) = await PredictAsync(client, TestImages.Road(wet: true));

            busy.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            busy.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(1));
            error.ShouldContain("Serving:DecodeMemoryBudgetMB");
            budget.Waiting.ShouldBe(0);
        }

        budget.ReservedBytes.ShouldBe(0);
        var (ok, _) = await PredictAsync(client, TestImages.Road(wet: true));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        budget.ReservedBytes.ShouldBe(0);
        await MetricsShouldCountAsync(client, "drywet_rejected_requests_total{", "reason=\"decode_memory_timeout\"");
    }

    [Fact]
    public async Task The_budget_is_whole_again_after_a_success_a_corrupt_image_and_a_refused_one()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Serving:DecodeMemoryBudgetMB"] = "1",
            ["Serving:MaxImagePixels"] = "100000",
            ["Serving:MaxRequestBodyBytes"] = "262144",
            ["Serving:MaxConcurrentDecodes"] = "1",
        });
        await using var _ = app;
        var budget = app.Services.GetRequiredService<DecodeBudget>();
        var road = TestImages.Road(wet: false, width: 300, height: 200);

        (await PredictAsync(client, road)).Response.StatusCode.ShouldBe(HttpStatusCode.OK);
        budget.ReservedBytes.ShouldBe(0);

        // The header reads, so memory is reserved; the pixel data ends early, so the decode fails after it.
        var (corrupt, corruptError) = await PredictAsync(client, road[..(road.Length / 2)]);
        corrupt.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity, corruptError);
        budget.ReservedBytes.ShouldBe(0);

        var (tooLarge, _) = await PredictAsync(client, TestImages.WithJpegDimensions(road, 400, 400));
        tooLarge.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);

        // With one decode slot, anything left reserved would make this wait and fail.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => PredictAsync(client, TestImages.Road(i % 2 == 0))));
        answers.ShouldAllBe(a => a.Response.StatusCode == HttpStatusCode.OK);
        budget.ReservedBytes.ShouldBe(0);
        budget.Waiting.ShouldBe(0);
    }

    /// <summary>The Prometheus exporter caches a scrape briefly: ask until the line shows.</summary>
    internal static async Task MetricsShouldCountAsync(HttpClient client, string prefix, string label)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string[] lines;
        do
        {
            await Task.Delay(100, Ct);
            lines = (await client.GetStringAsync("/metrics", Ct)).Split('\n');
        }
        while (!lines.Any(Matches) && DateTime.UtcNow < deadline);

        lines.Any(Matches).ShouldBeTrue(string.Join("\n", lines.Where(l => l.StartsWith("drywet_rejected", StringComparison.Ordinal))));
        bool Matches(string line) => line.StartsWith(prefix, StringComparison.Ordinal) && line.Contains(label);
    }
}
