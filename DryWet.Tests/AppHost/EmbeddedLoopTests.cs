using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting.Testing;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core.Feedback;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Web;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The whole loop through the real AppHost in embedded mode, no Docker, as a new user runs it, with nothing but the
/// defaults, on one platform start:
/// <list type="number">
/// <item>"Load sample data" (the README's 300 images per class in the embedded ml-data bucket, nothing temporary left;
/// serving holds the AppHost's admin key and "Reload model" sends it) → the watcher trains → the gate makes v1
/// production → serving picks it up by polling the alias and classifies fresh sample images ≥ 95 %.</item>
/// <item>"Load noisy sample data" → v2 is rejected (alias challenger) while v1 keeps serving, and serving runs v2 as
/// a shadow; two clients predict meanwhile, not one request fails.</item>
/// <item>Road photos whose answers the test knows are predicted (champion and shadow answer each) → a reviewer signs in
/// on the web page and labels 60 of them by clicking, in the page's disagreement-first order → the Model page shows
/// both versions' live accuracy on those reviews → the watcher trains by itself on the dataset that holds the 60
/// reviewed images (<c>dataset.reviewed_images</c> = 60, and the run's dataset input says so).</item>
/// <item>Better data dropped into ml-data → promoted and served → "Roll back model" → the version that served before
/// (v1, or the reviewed one when the gate promoted it; never the rejected v2) is served again; two clients predict
/// throughout, not one request fails, and the prediction log holds no answer of the rejected v2.</item>
/// </list>
/// Once two stories (a training loop and a review loop), each on its own AppHost training the same first two models,
/// and a third AppHost for the wiring checks (EmbeddedPlatformTests); one start and one set of trainings now assert
/// what all three asserted.
/// </summary>
public class EmbeddedLoopTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    private const string Model = "dry_wet_model";
    private const int Predicted = 80;
    private const int Reviews = 60;

    /// <summary>Page loads under the trainer's load on a 2-core machine: Playwright's 5 s default is too short.</summary>
    private const float Slow = 60_000;

    [Fact]
    public async Task Data_and_reviews_are_trained_gated_shadowed_served_and_rolled_back_by_themselves_with_zero_failed_predictions()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(32));
        var ct = timeout.Token;
        var started = DateTime.UtcNow;
        using var registryHost = PlatformHost.Build(platform.Home);
        var registry = registryHost.Services.GetRequiredService<IModelRegistry>();
        var store = registryHost.Services.GetRequiredService<IObjectStore>();
        using var http = platform.App.CreateHttpClient("serving", "http");

        // The truth of every image this test sends to serving, by the image's SHA-256: the reviewer labels logged
        // predictions by it.
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);

        // 1. Data in: the watcher trains on it by itself; the first model that has learned becomes production.
        var loaded = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, ct);
        loaded.Success.ShouldBeTrue(loaded.Message);
        SampleZipShouldBeInTheBucket();
        await AdminKeyShouldReachServingAndTheReloadCommandAsync(http, ct);
        var v1 = await WaitForVersionAsync(registry, "1", ct);
        v1.Tags["drywet.promotion"].ShouldBe("first", v1.Description);
        v1.Aliases.ShouldContain("production");
        await WaitUntilServedAsync(http, "1", ct);
        (await AccuracyAsync(http, truth, ct)).ShouldBeGreaterThanOrEqualTo(0.95);

        // 2. Worse data, while two clients predict: its model loses to the champion on the same images and stays a
        // challenger, which serving loads as its shadow.
        var (requests, failures) = (0, new List<string>());
        var better = Path.Combine(platform.Home, "better.zip");
        var betterZip = Task.CompletedTask;
        await using (var load = PredictionLoad.Start(http, ct))
        {
            var noisy = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadNoisySampleDataCommand, ct);
            noisy.Success.ShouldBeTrue(noisy.Message);
            var v2 = await WaitForVersionAsync(registry, "2", ct);
            // Step 5's better data (twice as many images, another seed) is drawn now, while serving's poll, the reviews
            // and the third training leave time for it, and dropped into the bucket in step 5.
            betterZip = Task.Run(() => SampleDataset.WriteZip(better, countPerClass: 2 * SampleDataset.DefaultCount, SampleDataset.DefaultSize, seed: 7), ct);
            v2.Tags["drywet.promotion"].ShouldBe("rejected", v2.Description);
            v2.Aliases.ShouldBe(["challenger"]);
            (await registry.ResolveAsync(Model, cancellationToken: ct))!.Version.ShouldBe("1");
            (await ServedVersionAsync(http, ct)).ShouldBe("1");
            await WaitForShadowAsync(http, "2", ct);
            (requests, failures) = await load.StopAsync(truth);
        }

        Report($"v1 served and v2 shadowed after {DateTime.UtcNow - started:m\\:ss}");

        // 3. Reviews: fresh road photos predicted, a reviewer labels 60 on the web page, the Model page scores both.
        var logged = await ReviewAsync(store, http, truth, ct);

        // 4. The watcher trains by itself on the dataset holding the 60 reviewed images.
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

        // 5. Better data (twice as many images, another seed) dropped into the bucket, while two clients predict:
        // promoted, then served. The version that serves before it is the newest the gate let through: v1, or a version
        // trained on reviews if the gate promoted it; never the rejected v2.
        var before = (await registry.ResolveAsync(Model, cancellationToken: ct))!.Version;
        var versions = await registry.ListVersionsAsync(Model, ct);
        before.ShouldBe(versions.Where(v => v.Tags.GetValueOrDefault("drywet.promotion") is "first" or "promoted").MaxBy(v => v.Number)!.Version);
        before.ShouldNotBe("2");
        var next = (versions.Max(v => v.Number) + 1).ToString(CultureInfo.InvariantCulture);
        await using (var load = PredictionLoad.Start(http, ct))
        {
            await betterZip;
            File.Move(better, Path.Combine(platform.Home, "objects", DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject), overwrite: true);
            var promoted = await WaitForVersionAsync(registry, next, ct);
            promoted.Tags["drywet.promotion"].ShouldBe("promoted", promoted.Description);
            await WaitUntilServedAsync(http, next, ct);
            await load.WaitForAnswersAsync(next, 10, ct); // some traffic on it too

            // 6. "Roll back model" on serving: production goes back to the version that served before (not the
            // rejected v2), and serving reloads it at once.
            var rolledBack = await platform.ExecuteCommandAsync("serving", CommandExtensions.RollbackModelCommand, ct);
            rolledBack.Success.ShouldBeTrue(rolledBack.Message);
            (await registry.ResolveAsync(Model, cancellationToken: ct))!.Version.ShouldBe(before);
            (await registry.ListVersionsAsync(Model, ct)).Single(v => v.Version == before).Tags["drywet.promotion"].ShouldBe("rollback");
            await WaitUntilServedAsync(http, before, ct);

            var (more, moreFailures) = await load.StopAsync(truth);
            requests += more;
            failures.AddRange(moreFailures);
            Report($"v{next} promoted, served, rolled back to v{before} after {DateTime.UtcNow - started:m\\:ss}");
        }

        Report($"{requests} predictions during the switches, {failures.Count} failed");
        requests.ShouldBeGreaterThan(20);
        failures.ShouldBeEmpty();

        // What serving saw is in ml-feedback (the AppHost logs every prediction on a laptop), by the version that answered.
        var answered = await LoggedVersionsAsync(store, ct);
        answered.ShouldContain("1");
        answered.ShouldContain(next);
        answered.ShouldNotContain("2");
    }

    /// <summary>
    /// The AppHost's wiring, on this start (once a class of its own with an AppHost of its own): "Load sample data" put
    /// the README's sample (300 images per class) into the embedded ml-data bucket and left no temporary file beside it.
    /// </summary>
    private void SampleZipShouldBeInTheBucket()
    {
        var zip = Path.Combine(platform.Home, "objects", DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject);
        using (var archive = ZipFile.OpenRead(zip))
        {
            var classes = archive.Entries.Where(e => e.Length > 0).GroupBy(e => e.FullName.Split('/')[0]).ToDictionary(g => g.Key, g => g.Count());
            classes.ShouldBe(new Dictionary<string, int> { ["dry"] = 300, ["wet"] = 300 }, "the sample-data default (README: 300 per class)");
        }

        Directory.GetFiles(Path.GetDirectoryName(zip)!).ShouldBe([zip], "no temporary file may be left in the bucket");
    }

    /// <summary>
    /// The AppHost's wiring, on this start: serving holds exactly the AppHost's admin key (none or another one is refused
    /// with 401, this one passes the check), and the dashboard's "Reload model" sends it.
    /// </summary>
    private async Task AdminKeyShouldReachServingAndTheReloadCommandAsync(HttpClient http, CancellationToken ct)
    {
        using var anonymous = await http.PostAsync("/model/reload", null, ct);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var wrong = await ReloadAsync(http, "not-the-key", ct);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var right = await ReloadAsync(http, EmbeddedPlatformFixture.AdminKey, ct);
        // Past the key check the reload itself runs: 200 with a model, 500 "Failed to reload model" without one (v1 is
        // still training).
        ((int)right.StatusCode).ShouldBeOneOf(200, 500);
        (await right.Content.ReadAsStringAsync(ct)).ShouldContain(right.IsSuccessStatusCode ? "Model reloaded successfully" : "Failed to reload model");

        // The dashboard command reaches the same handler with the key: its answer is the reload's (success, or the 500
        // of no model yet), never the 401 that a missing or wrong key gets.
        var result = await platform.ExecuteCommandAsync("serving", CommandExtensions.ReloadModelCommand, ct);
        if (!result.Success)
        {
            result.Message.ShouldBe("Request failed with status code InternalServerError");
        }
    }

    private static async Task<HttpResponseMessage> ReloadAsync(HttpClient http, string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/model/reload");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request, ct);
    }

    /// <summary>
    /// Step 3: 80 fresh road photos (a seed no training set uses, half wet) predicted; every one logged, with v1's answer
    /// and the shadow's. A reviewer signs in and labels 60 logged predictions by clicking, always the first card of the
    /// disagreement-first order (the page puts unreviewed cards first), with the label the image truly has; the Model page
    /// then shows each version's accuracy on the requests it answered and that were reviewed. Every logged prediction at
    /// this point was answered by v1 (v2 was rejected), and the test knows every logged image's truth.
    /// </summary>
    /// <returns>The predictions logged before the reviews, by id, with the truth of each image.</returns>
    private async Task<Dictionary<string, (PredictionLogRecord Record, string Label, string Hash)>> ReviewAsync(
        IObjectStore store, HttpClient http, Dictionary<string, string> truth, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Predicted; i++)
        {
            var wet = i % 2 == 1;
            var image = SyntheticRoadGenerator.DrawJpeg(wet, SampleDataset.DefaultSize, SampleDataset.ImageSeed(5151, wet ? 1 : 0, i));
            var hash = Convert.ToHexString(SHA256.HashData(image));
            truth[hash] = wet ? "wet" : "dry";
            fresh.Add(hash);
            using var form = PredictionLoad.Form(image);
            using var response = await http.PostAsync("/predict", form, ct);
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(ct));
        }

        var logged = await LoggedAsync(store, truth, fresh, ct);
        var freshLogged = logged.Values.Where(r => fresh.Contains(r.Hash)).ToList();
        var shadowed = freshLogged.Count(r => r.Record.Shadow?.ModelVersion == "2");
        var disagreements = logged.Values.Count(r => r.Record.Shadow is { } s && s.Prediction != r.Record.Prediction);
        Report($"{logged.Count} predictions logged ({freshLogged.Count} of the {Predicted} fresh photos), {shadowed} of those answered by the shadow too, " +
            $"{disagreements} logged where champion and shadow disagree");
        shadowed.ShouldBeGreaterThanOrEqualTo(Reviews, "the shadow answered too few requests");
        logged.Values.ShouldAllBe(r => r.Record.ModelVersion == "1", "a logged prediction not answered by v1 before any promotion");

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
                var (record, label, _) = logged[id];
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
                // ones, past the 60 the page shows); the label itself is checked in ml-data after the next training.
                await Expect(page.Locator("#keys-hint")).ToContainTextAsync($"({n + 1} reviewed)", new() { Timeout = Slow });
                reviewed.Add(id);
            }

            // After the disagreements the order offers the other requests the shadow answered: every review pairs the two
            // models, so the 60 reviews are past the live gate's 50.
            reviewed.Count(id => logged[id].Record.Shadow is not null).ShouldBe(Reviews, "a review of a request the shadow did not answer came before one it did");
            await Expect(page.Locator("[data-live-gate]")).ToContainTextAsync($"{Reviews} of 50", new() { Timeout = Slow });
            await Expect(page.Locator("[data-live-gate]")).ToContainTextAsync("Enough reviews for it to decide.", new() { Timeout = Slow });
            Report($"{Reviews} labelled in the browser after {DateTime.UtcNow - started:m\\:ss}: {reviewedDisagreements} disagreements first, {corrected} corrections of the champion");
            reviewedDisagreements.ShouldBe(Math.Min(disagreements, Reviews));

            // The live numbers on the Model page: each version's accuracy on the requests it answered and that were reviewed.
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

        return logged;
    }

    private static async Task<IReadOnlySet<string>> LoggedVersionsAsync(IObjectStore store, CancellationToken ct)
    {
        // The writer is asynchronous: give it a moment to drain its queue.
        await Task.Delay(2000, ct);
        var versions = new HashSet<string>(StringComparer.Ordinal);
        var records = (await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, ct)).Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal)).ToList();
        records.Count.ShouldBeGreaterThan(20);
        var folder = TestFolders.NewTempPath("drywet-e2e-records");
        try
        {
            // Every tenth record and the newest ones (the last switch happened seconds ago).
            foreach (var record in records.Where((_, i) => i % 10 == 0).Concat(records.OrderBy(r => r.LastModified).TakeLast(20)).Distinct())
            {
                var local = Path.Combine(folder, Path.GetFileName(record.Key));
                await store.DownloadFileAsync(PredictionLogLayout.Bucket, record.Key, local, ct);
                versions.Add(JsonSerializer.Deserialize<PredictionLogRecord>(await File.ReadAllTextAsync(local, ct), PredictionLogRecord.Json)!.ModelVersion);
            }
        }
        finally
        {
            TestFolders.DeleteQuietly(folder);
        }

        return versions;
    }

    private static async Task<ModelVersion> WaitForVersionAsync(IModelRegistry registry, string version, CancellationToken ct)
    {
        while (true)
        {
            // Done when the gate has tagged the decision and moved its alias (production or challenger), in that order.
            var found = (await registry.ListVersionsAsync(Model, ct)).FirstOrDefault(v => v.Version == version);
            if (found is not null && found.Tags.ContainsKey("drywet.promotion") && found.Aliases.Count > 0)
            {
                return found;
            }

            await Task.Delay(500, ct);
        }
    }

    private static async Task WaitUntilServedAsync(HttpClient http, string version, CancellationToken ct)
    {
        // Serving polls the alias every 30 s (the AppHost's default): allow two polls.
        var deadline = DateTime.UtcNow.AddSeconds(75);
        while (await ServedVersionAsync(http, ct) != version)
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"serving did not pick up version {version} by itself");
            await Task.Delay(500, ct);
        }
    }

    private static async Task<string?> ServedVersionAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.GetAsync("/model/info", ct);
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("model_version").GetString()
            : null;
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

    /// <summary>
    /// Fresh sample images the model has never seen (two other data seeds), as "Load sample data" draws them: 50 per
    /// class of each, 200 in all, classified by serving; each image's truth goes into <paramref name="truth"/>.
    /// </summary>
    private static async Task<double> AccuracyAsync(HttpClient http, Dictionary<string, string> truth, CancellationToken ct)
    {
        var correct = 0;
        var total = 0;
        foreach (var seed in (int[])[4242, 99])
        {
            for (var c = 0; c < 2; c++)
            {
                for (var i = 0; i < 50; i++)
                {
                    var image = SyntheticRoadGenerator.DrawJpeg(wet: c == 1, SampleDataset.DefaultSize, SampleDataset.ImageSeed(seed, c, i));
                    truth[Convert.ToHexString(SHA256.HashData(image))] = c == 1 ? "wet" : "dry";
                    using var form = PredictionLoad.Form(image);
                    using var response = await http.PostAsync("/predict", form, ct);
                    var body = await response.Content.ReadAsStringAsync(ct);
                    response.IsSuccessStatusCode.ShouldBeTrue(body);
                    correct += JsonDocument.Parse(body).RootElement.GetProperty("prediction").GetString() == (c == 1 ? "wet" : "dry") ? 1 : 0;
                    total++;
                }
            }
        }

        var accuracy = (double)correct / total;
        Report($"served model: {correct}/{total} fresh sample images right ({accuracy:F3})");
        return accuracy;
    }

    /// <summary>
    /// The logged predictions by id, each with the truth of its image (found by the image's SHA-256), once every one of
    /// the <paramref name="fresh"/> images is logged (the writer is asynchronous and first in, first out: the earlier
    /// ones are then written too). Every logged image must be one whose truth the test knows.
    /// </summary>
    private static async Task<Dictionary<string, (PredictionLogRecord Record, string Label, string Hash)>> LoggedAsync(
        IObjectStore store, IReadOnlyDictionary<string, string> truth, IReadOnlySet<string> fresh, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var logged = new Dictionary<string, (PredictionLogRecord, string, string Hash)>(StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var objects = await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, ct);
            foreach (var json in objects.Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal) && !read.Contains(o.Key)))
            {
                var record = JsonSerializer.Deserialize<PredictionLogRecord>(await ReadAsync(store, PredictionLogLayout.Bucket, json.Key, ct), PredictionLogRecord.Json)!;
                var imageKey = objects.Single(o => o.Key != json.Key && o.Key.StartsWith(json.Key[..^".json".Length] + ".", StringComparison.Ordinal)).Key;
                var hash = Convert.ToHexString(SHA256.HashData(await DownloadAsync(store, PredictionLogLayout.Bucket, imageKey, ct)));
                truth.ContainsKey(hash).ShouldBeTrue($"logged prediction {record.Id}: an image this test did not send");
                logged[record.Id] = (record, truth[hash], hash);
                read.Add(json.Key);
            }

            var freshLogged = logged.Values.Count(r => fresh.Contains(r.Hash));
            if (freshLogged >= fresh.Count)
            {
                freshLogged.ShouldBe(fresh.Count, "a fresh photo logged twice");
                return logged;
            }

            DateTime.UtcNow.ShouldBeLessThan(deadline, $"not every prediction was logged: {freshLogged} of {fresh.Count}");
            await Task.Delay(500, ct);
        }
    }

    private static async Task<ModelVersion> WaitForReviewedVersionAsync(IModelRegistry registry, CancellationToken ct)
    {
        var expected = Reviews.ToString(CultureInfo.InvariantCulture);
        while (true)
        {
            // Done when the gate has tagged the decision and moved its alias, as for the other versions.
            var versions = await registry.ListVersionsAsync(Model, CancellationToken.None);
            if (versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(DatasetTags.ReviewedImages) == expected) is { } found
                && found.Tags.ContainsKey("drywet.promotion") && found.Aliases.Count > 0)
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

    private static async Task<string> ReadAsync(IObjectStore store, string bucket, string key, CancellationToken ct) =>
        System.Text.Encoding.UTF8.GetString(await DownloadAsync(store, bucket, key, ct));

    private static async Task<byte[]> DownloadAsync(IObjectStore store, string bucket, string key, CancellationToken ct)
    {
        var file = TestFolders.NewTempFile("drywet-e2e-download");
        try
        {
            await store.DownloadFileAsync(bucket, key, file, ct);
            return await File.ReadAllBytesAsync(file, ct);
        }
        finally
        {
            TestFolders.DeleteQuietly(file);
        }
    }

    private static void Report(string message) => TestContext.Current.SendDiagnosticMessage(message);

    /// <summary>
    /// Two clients predicting back to back until stopped; every non-2xx answer or transport error is kept, and the truth
    /// of every image sent (by its SHA-256).
    /// </summary>
    private sealed class PredictionLoad : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task[] _clients;
        private readonly List<string> _failures = [];
        private readonly ConcurrentDictionary<string, string> _truth = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _answers = new(StringComparer.Ordinal);
        private int _requests;

        private PredictionLoad(HttpClient http, CancellationToken ct)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _clients = [.. Enumerable.Range(0, 2).Select(n => Task.Run(() => RunAsync(http, n, _stop.Token)))];
        }

        public static PredictionLoad Start(HttpClient http, CancellationToken ct) => new(http, ct);

        public static MultipartFormDataContent Form(byte[] jpeg)
        {
            var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(jpeg);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "file", "road.jpg");
            return form;
        }

        /// <summary>Waits until the clients got at least <paramref name="count"/> answers from <paramref name="version"/> (60 s at most).</summary>
        public async Task WaitForAnswersAsync(string version, int count, CancellationToken ct)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (_answers.GetValueOrDefault(version) < count)
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, $"the clients got {_answers.GetValueOrDefault(version)} answers from version {version}");
                await Task.Delay(100, ct);
            }
        }

        /// <summary>Stops the clients and adds the truth of every image they sent to <paramref name="truth"/>.</summary>
        public async Task<(int Requests, List<string> Failures)> StopAsync(Dictionary<string, string> truth)
        {
            await StopAsync();
            foreach (var (hash, label) in _truth)
            {
                truth[hash] = label;
            }

            lock (_failures)
            {
                return (_requests, [.. _failures]);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients);
        }

        private async Task RunAsync(HttpClient http, int client, CancellationToken stop)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var wet = i % 2 == 1;
                var image = SyntheticRoadGenerator.DrawJpeg(wet, SampleDataset.DefaultSize, SampleDataset.ImageSeed(900 + client, i % 2, i));
                _truth[Convert.ToHexString(SHA256.HashData(image))] = wet ? "wet" : "dry";
                try
                {
                    using var form = Form(image);
                    using var response = await http.PostAsync("/predict", form, stop);
                    Interlocked.Increment(ref _requests);
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    if (!response.IsSuccessStatusCode)
                    {
                        Record($"HTTP {(int)response.StatusCode}: {body}");
                    }
                    else
                    {
                        using var answer = JsonDocument.Parse(body);
                        _answers.AddOrUpdate(answer.RootElement.GetProperty("model_version").GetString() ?? "", 1, (_, n) => n + 1);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (HttpRequestException ex)
                {
                    Record(ex.Message);
                }

                // Steady, not saturating: the trainer shares the two cores.
                await Task.Delay(50, CancellationToken.None);
            }
        }

        private void Record(string failure)
        {
            lock (_failures)
            {
                _failures.Add(failure);
            }
        }
    }
}
