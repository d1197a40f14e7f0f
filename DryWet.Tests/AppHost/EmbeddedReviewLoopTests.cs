using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting.Testing;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Trainer;
using DryWet.Core.Feedback;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.Tracking;
using DryWet.Tests.Web;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The loop closed through a person, in the real AppHost in embedded mode with nothing but the defaults: "Load sample
/// data" → v1 served → "Load noisy sample data" → its model, rejected by the gate, is the challenger and serving runs it
/// as a shadow → road photos whose answers the test knows are predicted (champion and shadow answer each) → a reviewer
/// signs in on the web page and labels 60 of them by clicking, in the page's disagreement-first order → the Model page
/// shows both versions' live accuracy on those reviews → the watcher trains by itself on the dataset that holds the 60
/// reviewed images (<c>dataset.reviewed_images</c> = 60, and the run's dataset input says so).
/// </summary>
public class EmbeddedReviewLoopTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    private const string Model = "dry_wet_model";
    private const int Predicted = 80;
    private const int Reviews = 60;

    /// <summary>Page loads under the trainer's load on a 2-core machine: Playwright's 5 s default is too short.</summary>
    private const float Slow = 60_000;

    [Fact]
    public async Task Reviews_given_on_the_web_page_score_the_shadow_live_and_are_in_the_next_model_the_watcher_trains()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(20));
        var ct = timeout.Token;
        var started = DateTime.UtcNow;
        using var registryHost = PlatformHost.Build(platform.Home);
        var registry = registryHost.Services.GetRequiredService<IModelRegistry>();
        var store = registryHost.Services.GetRequiredService<IObjectStore>();
        using var http = platform.App.CreateHttpClient("serving", "http");

        // 1. Sample data → v1 production, served. Noisy data → v2 rejected, the challenger, served as a shadow.
        (await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, ct)).Success.ShouldBeTrue();
        var v1 = await EmbeddedTrainingLoopTests.WaitForVersionAsync(registry, "1", ct);
        v1.Aliases.ShouldContain("production");
        await EmbeddedTrainingLoopTests.WaitUntilServedAsync(http, "1", ct);
        (await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadNoisySampleDataCommand, ct)).Success.ShouldBeTrue();
        var v2 = await EmbeddedTrainingLoopTests.WaitForVersionAsync(registry, "2", ct);
        v2.Tags["drywet.promotion"].ShouldBe("rejected", v2.Description);
        v2.Aliases.ShouldBe(["challenger"]);
        await WaitForShadowAsync(http, "2", ct);
        Report($"v1 served and v2 shadowed after {DateTime.UtcNow - started:m\\:ss}");

        // 2. Predictions flow: fresh road photos (a seed no training set uses), half wet; the test keeps each image's truth.
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Predicted; i++)
        {
            var wet = i % 2 == 1;
            var image = SyntheticRoadGenerator.DrawJpeg(wet, SampleDataset.DefaultSize, SampleDataset.ImageSeed(5151, wet ? 1 : 0, i));
            truth[Convert.ToHexString(SHA256.HashData(image))] = wet ? "wet" : "dry";
            using var form = Form(image);
            using var response = await http.PostAsync("/predict", form, ct);
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(ct));
        }

        var logged = await LoggedAsync(store, truth, ct);
        var shadowed = logged.Values.Count(r => r.Record.Shadow?.ModelVersion == "2");
        var disagreements = logged.Values.Count(r => r.Record.Shadow is { } s && s.Prediction != r.Record.Prediction);
        Report($"{logged.Count} predictions logged, {shadowed} answered by the shadow too, {disagreements} where champion and shadow disagree");
        shadowed.ShouldBeGreaterThanOrEqualTo(Reviews, "the shadow answered too few requests");

        // 3. A reviewer signs in on the web page and labels 60 logged predictions by clicking, always the first card of
        // the disagreement-first order (the page puts unreviewed cards first), with the label the image truly has.
        var (playwright, browser) = await Chromium.LaunchAsync();
        try
        {
            var web = platform.App.GetEndpoint("web", "http");
            var page = await browser.NewPageAsync();
            await page.GotoAsync(new Uri(web, "signin?returnUrl=review%3Fsort%3Ddisagreement").ToString());
            await page.GetByLabel("Your name").FillAsync("Ada");
            await page.GetByLabel("Admin key").FillAsync(EmbeddedPlatformFixture.AdminKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.Locator(".who")).ToContainTextAsync("Signed in as Ada", new() { Timeout = Slow });
            await Expect(page.Locator("[data-live-gate]")).ToContainTextAsync("v1 against shadow v2", new() { Timeout = Slow });

            var reviewed = new List<string>();
            var reviewedDisagreements = 0;
            var corrected = 0;
            for (var n = 0; n < Reviews; n++)
            {
                var card = page.Locator("[data-card]:not(.reviewed)").First;
                var id = await card.GetAttributeAsync("data-id") ?? throw new InvalidOperationException("a card without an id");
                var (record, label) = logged[id];
                var disagrees = await card.Locator(".shadow.disagrees").CountAsync() > 0;
                (disagrees == (record.Shadow is { } s && s.Prediction != record.Prediction)).ShouldBeTrue($"card {id}: the page's disagreement mark is wrong");
                // Disagreements first: none may follow a card without one.
                if (disagrees)
                {
                    reviewedDisagreements.ShouldBe(n, $"card {id} disagrees but came after one that does not");
                    reviewedDisagreements++;
                }

                corrected += label == record.Prediction ? 0 : 1;
                await card.Locator($"button[data-label='{label}']").ClickAsync();
                // Back on the page: the count of reviewed requests went up (the labelled card moves behind the unreviewed
                // ones, past the 60 the page shows); the label itself is checked in ml-data below.
                await Expect(page.Locator("#keys-hint")).ToContainTextAsync($"({n + 1} reviewed)", new() { Timeout = Slow });
                reviewed.Add(id);
            }

            await Expect(page.Locator("[data-live-gate]")).ToContainTextAsync($"{reviewed.Count(id => logged[id].Record.Shadow is not null)} of 50", new() { Timeout = Slow });
            Report($"{Reviews} labelled in the browser after {DateTime.UtcNow - started:m\\:ss}: {reviewedDisagreements} disagreements first, {corrected} corrections of the champion");
            reviewedDisagreements.ShouldBe(Math.Min(disagreements, Reviews));

            // 4. The live numbers on the Model page: each version's accuracy on the requests it answered and that were reviewed.
            await page.GotoAsync(new Uri(web, "model").ToString());
            var table = page.Locator("table[data-live-accuracy]");
            var championRight = reviewed.Count(id => logged[id].Record.Prediction == logged[id].Label);
            var shadowReviews = reviewed.Where(id => logged[id].Record.Shadow?.ModelVersion == "2").ToList();
            var shadowRight = shadowReviews.Count(id => logged[id].Record.Shadow!.Prediction == logged[id].Label);
            await Expect(table.Locator("tr[data-version='1'] [data-reviewed]")).ToHaveTextAsync(Reviews.ToString(CultureInfo.InvariantCulture), new() { Timeout = Slow });
            await Expect(table.Locator("tr[data-version='1'] [data-accuracy]")).ToHaveTextAsync(((double)championRight / Reviews).ToString("F4", CultureInfo.InvariantCulture), new() { Timeout = Slow });
            await Expect(table.Locator("tr[data-version='2'] [data-reviewed]")).ToHaveTextAsync(shadowReviews.Count.ToString(CultureInfo.InvariantCulture), new() { Timeout = Slow });
            await Expect(table.Locator("tr[data-version='2'] [data-accuracy]")).ToHaveTextAsync(((double)shadowRight / shadowReviews.Count).ToString("F4", CultureInfo.InvariantCulture), new() { Timeout = Slow });
            Report($"Model page, live: v1 {championRight}/{Reviews} right, v2 (shadow) {shadowRight}/{shadowReviews.Count} right; " +
                $"verdict: {string.Join(" | ", await page.Locator("[data-live-verdict]").AllInnerTextsAsync()).ReplaceLineEndings(" ")}");
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }

        // 5. The watcher trains by itself on the dataset holding the 60 reviewed images.
        var trained = await WaitForReviewedVersionAsync(registry, ct);
        Report($"v{trained.Version} trained by the watcher on {trained.Tags[DatasetTags.ReviewedImages]} reviewed images " +
            $"(dataset version {trained.Tags[DatasetTags.Version]}), gate: {trained.Tags["drywet.promotion"]}, after {DateTime.UtcNow - started:m\\:ss}");
        var run = await registryHost.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(trained.RunId!, ct);
        var input = run.Datasets.ShouldHaveSingleItem();
        input.Digest.ShouldBe(trained.Tags[DatasetTags.Version]);
        input.Profile.ShouldNotBeNull().ShouldContain($"\"review\":{Reviews}");
        var manifest = await ReadAsync(store, DryWetPlatform.DataBucket, $"{DatasetManifest.Folder}/{input.Digest}.json", ct);
        foreach (var id in logged.Keys.Where(id => manifest.Contains(id, StringComparison.Ordinal)))
        {
            (await store.ListAsync(DryWetPlatform.DataBucket, $"{logged[id].Label}/{id}", ct)).ShouldNotBeEmpty($"reviewed image {id} is not in its class folder");
        }

        logged.Keys.Count(id => manifest.Contains(id, StringComparison.Ordinal)).ShouldBe(Reviews);
    }

    private static async Task WaitForShadowAsync(HttpClient http, string version, CancellationToken ct)
    {
        // Serving follows the challenger alias like production: one poll every 30 s (the AppHost's default); allow two.
        var deadline = DateTime.UtcNow.AddSeconds(75);
        while (true)
        {
            using var info = JsonDocument.Parse(await http.GetStringAsync("/model/info", ct));
            if (info.RootElement.TryGetProperty("shadow", out var shadow) && shadow.ValueKind == JsonValueKind.Object
                && shadow.GetProperty("model_version").GetString() == version)
            {
                return;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"serving did not load version {version} as its shadow: {info.RootElement}");
            await Task.Delay(500, ct);
        }
    }

    /// <summary>The logged predictions by id, each with the truth of its image (found by the image's SHA-256).</summary>
    private static async Task<Dictionary<string, (PredictionLogRecord Record, string Label)>> LoggedAsync(
        IObjectStore store, IReadOnlyDictionary<string, string> truth, CancellationToken ct)
    {
        // The log writer is asynchronous: wait until every prediction is there.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        IReadOnlyList<StoredObject> objects;
        while ((objects = await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, ct)).Count(o => o.Key.EndsWith(".json", StringComparison.Ordinal)) < truth.Count)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "not every prediction was logged");
            await Task.Delay(500, ct);
        }

        var logged = new Dictionary<string, (PredictionLogRecord, string)>(StringComparer.Ordinal);
        foreach (var json in objects.Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal)))
        {
            var record = JsonSerializer.Deserialize<PredictionLogRecord>(await ReadAsync(store, PredictionLogLayout.Bucket, json.Key, ct), PredictionLogRecord.Json)!;
            var imageKey = objects.Single(o => o.Key != json.Key && o.Key.StartsWith(json.Key[..^".json".Length] + ".", StringComparison.Ordinal)).Key;
            var image = await DownloadAsync(store, PredictionLogLayout.Bucket, imageKey, ct);
            logged[record.Id] = (record, truth[Convert.ToHexString(SHA256.HashData(image))]);
        }

        logged.Count.ShouldBe(truth.Count);
        return logged;
    }

    private static async Task<ModelVersion> WaitForReviewedVersionAsync(IModelRegistry registry, CancellationToken ct)
    {
        var expected = Reviews.ToString(CultureInfo.InvariantCulture);
        while (true)
        {
            var versions = await registry.ListVersionsAsync(Model, CancellationToken.None);
            if (versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(DatasetTags.ReviewedImages) == expected) is { } found
                && found.Tags.ContainsKey("drywet.promotion"))
            {
                foreach (var v in versions.Where(v => v.Number > 2).OrderBy(v => v.Number))
                {
                    Report($"v{v.Version}: {v.Tags.GetValueOrDefault(DatasetTags.ReviewedImages)} reviewed images, gate {v.Tags.GetValueOrDefault("drywet.promotion")}");
                }

                return found;
            }

            if (ct.IsCancellationRequested)
            {
                throw new ShouldAssertException("no version trained on the 60 reviewed images: " +
                    string.Join(", ", versions.Select(v => $"v{v.Version} ({v.Tags.GetValueOrDefault(DatasetTags.ReviewedImages) ?? "-"} reviewed)")));
            }

            await Task.Delay(1000, CancellationToken.None);
        }
    }

    private static MultipartFormDataContent Form(byte[] jpeg)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(jpeg);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "road.jpg");
        return form;
    }

    private static async Task<string> ReadAsync(IObjectStore store, string bucket, string key, CancellationToken ct) =>
        System.Text.Encoding.UTF8.GetString(await DownloadAsync(store, bucket, key, ct));

    private static async Task<byte[]> DownloadAsync(IObjectStore store, string bucket, string key, CancellationToken ct)
    {
        var file = Path.GetTempFileName();
        try
        {
            await store.DownloadFileAsync(bucket, key, file, ct);
            return await File.ReadAllBytesAsync(file, ct);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Report(string message) => TestContext.Current.SendDiagnosticMessage(message);
}
