using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Serving;

/// <summary>
/// The registry's challenger served as a shadow: loaded and followed like production, its answers in every logged
/// record and in the agreement counter, and — a deliberately slow shadow — never on a response's path. Real packages
/// in the embedded registry, the real serving app over HTTP.
/// </summary>
[Collection(PredictionLogTests.Collection)]
public sealed class ShadowTests : IDisposable
{
    private const string Model = "dry_wet_model";
    private readonly string _home = TestFolders.NewTempDirectory("shadow");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_challenger_on_another_version_is_served_as_shadow_and_every_logged_prediction_carries_its_answer()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = await RegisterAsync(platform, k: 4f, alias: "production");
        // The inverse model: its answers are visibly its own (probabilities swapped).
        var v2 = await RegisterAsync(platform, k: -4f, alias: "challenger");
        var (app, client) = await StartServingAsync(new() { ["Serving:PredictionLog:SampleRate"] = "1" });
        await using var _ = app;
        using var agreement = Counter(app, "drywet_shadow_agreement_total", "agree");

        var shadow = await WaitForShadowAsync(client, v2.Version);
        shadow.GetProperty("loaded_at").GetDateTimeOffset().ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow);
        (await RegistryTestModels.PredictAsync(client, wet: true)).ShouldBe("wet");
        (await RegistryTestModels.PredictAsync(client, wet: false)).ShouldBe("dry");
        var oip = $$"""{"inputs":[{"name":"image","shape":[2],"datatype":"BYTES","data":["{{Convert.ToBase64String(TestImages.Road(wet: true))}}","{{Convert.ToBase64String(TestImages.Road(wet: false))}}"]}]}""";
        using (var response = await client.PostAsync($"/v2/models/{Model}/infer", OpenInferenceServer.JsonBody(oip), Ct))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var records = await LoggedRecordsAsync(4);
        foreach (var record in records)
        {
            record.ModelVersion.ShouldBe(v1.Version);
            record.Shadow.ShouldNotBeNull();
            record.Shadow.ModelVersion.ShouldBe(v2.Version);
            record.Shadow.Prediction.ShouldBe(record.Prediction == "wet" ? "dry" : "wet");
            record.Shadow.Probabilities["wet"].ShouldBe(record.Probabilities["dry"], 1e-5);
        }

        records.Select(r => r.Prediction).Order().ShouldBe(["dry", "dry", "wet", "wet"]);
        agreement["false"].ShouldBe(4);
        agreement["true"].ShouldBe(0);
        var json = JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(PredictionsFolder, "*.json", SearchOption.AllDirectories).First())).RootElement;
        json.GetProperty("shadow").EnumerateObject().Select(p => p.Name).ShouldBe(["model_version", "prediction", "probabilities"]);
    }

    [Fact]
    public async Task The_shadow_follows_the_challenger_alias_and_goes_away_when_the_alias_reaches_production()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        await RegisterAsync(platform, k: 4f, alias: "production");
        var v2 = await RegisterAsync(platform, k: -4f, alias: "challenger");
        var (app, client) = await StartServingAsync(new());
        await using var _ = app;
        await WaitForShadowAsync(client, v2.Version);

        var v3 = await RegisterAsync(platform, k: 2f, alias: "challenger");
        await WaitForShadowAsync(client, v3.Version);

        await registry.PromoteAsync(Model, v3.Version, cancellationToken: Ct);
        await Eventually.TrueAsync(async () =>
        {
            var info = await client.GetFromJsonAsync<JsonElement>("/model/info", Ct);
            return info.GetProperty("model_version").GetString() == v3.Version && info.GetProperty("shadow").ValueKind == JsonValueKind.Null;
        }, "v3 serves and, the challenger alias being on it, there is no shadow");
    }

    /// <summary>
    /// An A/A shadow (the served package's bytes registered again as the challenger) of a package whose INT8 graph the
    /// gate vouched for runs the graph the served model runs: <c>Model:Precision auto</c> is settled under <c>Model:*</c>
    /// for both, one decision shared, not under the shadow's own settings (one thread, batch 1). In this stand-in INT8
    /// pays only from batch 2 on (injected run times), so a decision of the shadow's own would pick fp32 and disagree on
    /// every image. The INT8 graph is the fp32 graph's inverse: each answer shows which graph gave it.
    /// </summary>
    [Fact]
    public async Task An_AA_shadow_of_a_package_with_a_vouched_int8_graph_runs_the_graph_the_served_model_runs()
    {
        using var platform = PlatformHost.Build(_home);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var inverse = TestModels.BlueVersusRed(k: -4f);
        var v1 = await RegisterAsync(platform, k: 4f, alias: "production", int8: inverse);
        var v2 = await RegisterAsync(platform, k: 4f, alias: "challenger", int8: inverse);
        foreach (var version in new[] { v1, v2 })
        {
            await registry.SetVersionTagsAsync(Model, version.Version, new Dictionary<string, string> { [Int8Verdict.Tag] = Int8Verdict.Vouched }, Ct);
        }

        // fp32 20 ms per image at every batch size; INT8 40 ms alone, 5 ms per image in batches of 2 or more.
        var timer = new FakeBatchTimer((file, size) => file == "model.int8.onnx" ? (size == 1 ? 40 : 5) : 20);
        var (app, client) = await StartServingAsync(new()
        {
            ["Serving:PredictionLog:SampleRate"] = "1",
            ["Serving:Shadow:MaxWait"] = "00:01:00", // every answer reaches the log, however busy this machine is
        }, timer.Register);
        await using var _ = app;
        using var agreement = Counter(app, "drywet_shadow_agreement_total", "agree");
        using var drops = Counter(app, "drywet_shadow_dropped_total", "reason");
        await WaitForShadowAsync(client, v2.Version);

        (await client.GetFromJsonAsync<JsonElement>("/model/info", Ct)).GetProperty("precision").GetString().ShouldBe("int8");
        // One request at a time, each resolved (answered by the shadow, or dropped: shadow work yields to live work on a
        // busy machine) before the next, until the shadow has answered a wet and a dry image.
        var requests = 0;
        var answered = new[] { false, false }; // [dry, wet]
        while (!(answered[0] && answered[1]))
        {
            requests.ShouldBeLessThan(20, $"the shadow answered too few requests: drops {string.Join(", ", drops.ByValue)}");
            var wet = requests % 2 == 0;
            (await RegistryTestModels.PredictAsync(client, wet)).ShouldBe(wet ? "dry" : "wet", "the served model runs the (inverse) INT8 graph");
            var answeredBefore = agreement.Total;
            requests++;
            await Eventually.TrueAsync(() => agreement.Total + drops.Total == requests, "the shadow answers or drops the image", seconds: 60);
            answered[wet ? 1 : 0] |= agreement.Total > answeredBefore;
        }

        var records = await LoggedRecordsAsync(requests);
        records.Count(r => r.Shadow is not null).ShouldBe((int)agreement.Total);
        foreach (var record in records.Where(r => r.Shadow is not null))
        {
            record.Shadow!.ModelVersion.ShouldBe(v2.Version);
            record.Shadow.Prediction.ShouldBe(record.Prediction, "the shadow runs the same (INT8) graph as the served model");
        }

        agreement["false"].ShouldBe(0);
    }

    [Fact]
    public async Task With_Model_Shadow_off_no_shadow_is_loaded_and_records_carry_none()
    {
        using var platform = PlatformHost.Build(_home);
        await RegisterAsync(platform, k: 4f, alias: "production");
        await RegisterAsync(platform, k: -4f, alias: "challenger");
        var (app, client) = await StartServingAsync(new() { ["Model:Shadow"] = "off", ["Serving:PredictionLog:SampleRate"] = "1" });
        await using var _ = app;

        await Task.Delay(1000, Ct); // five poll intervals: with auto the shadow is up well within this (other tests)
        (await client.GetFromJsonAsync<JsonElement>("/model/info", Ct)).GetProperty("shadow").ValueKind.ShouldBe(JsonValueKind.Null);
        (await RegistryTestModels.PredictAsync(client, wet: true)).ShouldBe("wet");
        (await LoggedRecordsAsync(1)).Single().Shadow.ShouldBeNull();
    }

    [Fact]
    public async Task A_deliberately_slow_shadow_never_delays_a_response_and_its_answers_still_reach_the_log()
    {
        using var platform = PlatformHost.Build(_home);
        await RegisterAsync(platform, k: 4f, alias: "production");
        // About 9 GFLOP per image on one low-priority thread, against a few milliseconds per served request.
        var slow = await RegisterAsync(platform, k: -4f, alias: "challenger", onnx: TestModels.SlowBlueVersusRed(-4f, width: 24, matMuls: 60));
        var (app, client) = await StartServingAsync(new()
        {
            ["Serving:PredictionLog:SampleRate"] = "1",
            ["Serving:Shadow:MaxWait"] = "00:01:00", // every answer reaches the log, however slow this machine is
        });
        await using var _ = app;
        using var answers = Counter(app, "drywet_shadow_agreement_total", "agree");
        using var drops = Counter(app, "drywet_shadow_dropped_total", "reason");
        await WaitForShadowAsync(client, slow.Version);

        const int requests = 6;
        for (var i = 0; i < requests; i++)
        {
            (await RegistryTestModels.PredictAsync(client, wet: i % 2 == 0)).ShouldBe(i % 2 == 0 ? "wet" : "dry");
        }

        // Had any response waited for the shadow's answer (or its drop), all of them would be resolved by now.
        var resolvedWhenAnswered = answers.Total + drops.Total;
        TestContext.Current.TestOutputHelper?.WriteLine($"when the {requests} responses were in: {answers.Total} shadow answers, drops {string.Join(", ", drops.ByValue)}");
        resolvedWhenAnswered.ShouldBeLessThan(requests);

        await Eventually.TrueAsync(() => answers.Total + drops.Total == requests, "the shadow answers or drops every image", seconds: 180);
        var records = await LoggedRecordsAsync(requests);
        records.Count(r => r.Shadow is not null).ShouldBe((int)answers.Total);
        answers.Total.ShouldBeGreaterThan(0);
        records.Where(r => r.Shadow is not null).ShouldAllBe(r => r.Shadow!.ModelVersion == slow.Version && r.Shadow.Prediction != r.Prediction);
    }

    private string PredictionsFolder => Path.Combine(_home, "objects", "ml-feedback", "predictions");

    private async Task<ModelVersion> RegisterAsync(IHost platform, float k, string alias, byte[]? onnx = null, byte[]? int8 = null)
    {
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var version = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k, onnx: onnx, int8: int8);
        return alias == "production"
            ? await registry.PromoteAsync(Model, version.Version, cancellationToken: Ct)
            : await registry.SetAliasAsync(Model, alias, version.Version, Ct);
    }

    private Task<(ServingApp App, HttpClient Client)> StartServingAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        settings["DryWet:Home"] = _home;
        settings["Model:PollInterval"] = "00:00:00.200";
        return ServingApp.StartAsync(settings, services: services);
    }

    private static TaggedCounter Counter(ServingApp app, string instrument, string tag) =>
        new(app.Services.GetRequiredService<IMeterFactory>(), instrument, tag);

    /// <summary>Waits until <c>/model/info</c> names <paramref name="version"/> as the shadow; its <c>shadow</c> object.</summary>
    private static async Task<JsonElement> WaitForShadowAsync(HttpClient client, string version)
    {
        JsonElement shadow = default;
        await Eventually.TrueAsync(async () =>
        {
            shadow = (await client.GetFromJsonAsync<JsonElement>("/model/info", Ct)).GetProperty("shadow");
            return shadow.ValueKind == JsonValueKind.Object && shadow.GetProperty("model_version").GetString() == version;
        }, $"version {version} is the shadow", seconds: 60);
        return shadow;
    }

    private async Task<List<PredictionLogRecord>> LoggedRecordsAsync(int count)
    {
        List<string> Files() => Directory.Exists(PredictionsFolder)
            ? Directory.EnumerateFiles(PredictionsFolder, "*.json", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToList()
            : [];
        await Eventually.TrueAsync(() => Files().Count >= count, $"{count} records are written", seconds: 60);
        return Files().Select(f => JsonSerializer.Deserialize<PredictionLogRecord>(File.ReadAllText(f), PredictionLogRecord.Json)!).ToList();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still mapped by a disposing session goes with the OS temp folder.
        }
    }
}
