using System.Net.Http.Headers;
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
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.AppHost;

/// <summary>
/// The loop through the real AppHost in embedded mode, no Docker, as a new user runs it, with nothing but the
/// defaults: "Load sample data" → the watcher trains → the gate makes v1 production → serving picks it up by polling
/// the alias → "Load noisy sample data" → v2 is rejected (alias challenger) while v1 keeps serving → better data
/// dropped into ml-data → v3 promoted and served → "Roll back model" → v1 served again. Clients predict without pause
/// from v1 on; not one request fails.
/// </summary>
public class EmbeddedTrainingLoopTests(EmbeddedPlatformFixture platform) : IClassFixture<EmbeddedPlatformFixture>
{
    private const string Model = "dry_wet_model";

    [Fact]
    public async Task New_data_is_trained_gated_and_served_by_itself_with_zero_failed_predictions()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(12));
        var ct = timeout.Token;
        using var registryHost = PlatformHost.Build(platform.Home);
        var registry = registryHost.Services.GetRequiredService<IModelRegistry>();
        using var http = platform.App.CreateHttpClient("serving", "http");

        // 1. Data in: the watcher trains on it by itself; the first model that has learned becomes production.
        var loaded = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadSampleDataCommand, ct);
        loaded.Success.ShouldBeTrue(loaded.Message);
        var v1 = await WaitForVersionAsync(registry, "1", ct);
        v1.Tags["drywet.promotion"].ShouldBe("first", v1.Description);
        v1.Aliases.ShouldContain("production");
        await WaitUntilServedAsync(http, "1", ct);
        (await AccuracyAsync(http, ct)).ShouldBeGreaterThanOrEqualTo(0.95);

        await using var load = PredictionLoad.Start(http, ct);

        // 2. Worse data: its model loses to the champion on the same images and stays a challenger.
        var noisy = await platform.ExecuteCommandAsync("trainer", CommandExtensions.LoadNoisySampleDataCommand, ct);
        noisy.Success.ShouldBeTrue(noisy.Message);
        var v2 = await WaitForVersionAsync(registry, "2", ct);
        v2.Tags["drywet.promotion"].ShouldBe("rejected", v2.Description);
        v2.Aliases.ShouldBe(["challenger"]);
        (await registry.ResolveAsync(Model, cancellationToken: ct))!.Version.ShouldBe("1");
        (await ServedVersionAsync(http, ct)).ShouldBe("1");

        // 3. Better data (twice as many images, another seed) dropped into the bucket: promoted, then served.
        var better = Path.Combine(platform.Home, "better.zip");
        SampleDataset.WriteZip(better, countPerClass: 2 * SampleDataset.DefaultCount, SampleDataset.DefaultSize, seed: 7);
        File.Move(better, Path.Combine(platform.Home, "objects", DryWetPlatform.DataBucket, DryWetPlatform.SampleDataObject), overwrite: true);
        var v3 = await WaitForVersionAsync(registry, "3", ct);
        v3.Tags["drywet.promotion"].ShouldBe("promoted", v3.Description);
        await WaitUntilServedAsync(http, "3", ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // some traffic on v3 too

        // 4. "Roll back model" on serving: production goes back to the version that served before v3 (v1, not the
        // rejected v2), and serving reloads it at once.
        var rolledBack = await platform.ExecuteCommandAsync("serving", CommandExtensions.RollbackModelCommand, ct);
        rolledBack.Success.ShouldBeTrue(rolledBack.Message);
        (await registry.ResolveAsync(Model, cancellationToken: ct))!.Version.ShouldBe("1");
        (await registry.ListVersionsAsync(Model, ct)).Single(v => v.Version == "1").Tags["drywet.promotion"].ShouldBe("rollback");
        await WaitUntilServedAsync(http, "1", ct);

        var (requests, failures) = await load.StopAsync();
        TestContext.Current.SendDiagnosticMessage($"{requests} predictions during the switches, {failures.Count} failed");
        requests.ShouldBeGreaterThan(20);
        failures.ShouldBeEmpty();

        // What serving saw is in ml-feedback (the AppHost logs every prediction on a laptop), by the version that answered.
        var logged = await LoggedVersionsAsync(registryHost.Services.GetRequiredService<IObjectStore>(), ct);
        logged.ShouldContain("1");
        logged.ShouldContain("3");
        logged.ShouldNotContain("2");
    }

    private static async Task<IReadOnlySet<string>> LoggedVersionsAsync(IObjectStore store, CancellationToken ct)
    {
        // The writer is asynchronous: give it a moment to drain its queue.
        await Task.Delay(2000, ct);
        var versions = new HashSet<string>(StringComparer.Ordinal);
        var records = (await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, ct)).Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal)).ToList();
        records.Count.ShouldBeGreaterThan(20);
        var folder = Path.Combine(Path.GetTempPath(), $"drywet-e2e-records-{Guid.NewGuid():N}");
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
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        return versions;
    }

    internal static async Task<ModelVersion> WaitForVersionAsync(IModelRegistry registry, string version, CancellationToken ct)
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

    internal static async Task WaitUntilServedAsync(HttpClient http, string version, CancellationToken ct)
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

    /// <summary>
    /// Fresh sample images the model has never seen (two other data seeds), as "Load sample data" draws them: 50 per
    /// class of each, 200 in all, classified by serving.
    /// </summary>
    internal static async Task<double> AccuracyAsync(HttpClient http, CancellationToken ct)
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
        TestContext.Current.SendDiagnosticMessage($"served model: {correct}/{total} fresh sample images right ({accuracy:F3})");
        return accuracy;
    }

    /// <summary>Two clients predicting back to back until stopped; every non-2xx answer or transport error is kept.</summary>
    private sealed class PredictionLoad : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task[] _clients;
        private readonly List<string> _failures = [];
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

        public async Task<(int Requests, IReadOnlyList<string> Failures)> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_clients);
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

        private async Task RunAsync(HttpClient http, int client, CancellationToken stop)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var image = SyntheticRoadGenerator.DrawJpeg(wet: i % 2 == 1, SampleDataset.DefaultSize, SampleDataset.ImageSeed(900 + client, i % 2, i));
                try
                {
                    using var form = Form(image);
                    using var response = await http.PostAsync("/predict", form, stop);
                    Interlocked.Increment(ref _requests);
                    if (!response.IsSuccessStatusCode)
                    {
                        Record($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
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
