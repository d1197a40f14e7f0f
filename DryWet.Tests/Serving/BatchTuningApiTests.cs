using DryWet.Tests.Training;
using System.Net;
using System.Text.Json;
using DryWet.Core;

namespace DryWet.Tests.Serving;

/// <summary>
/// Serving tunes its batcher when it loads a model and shows what it chose (<c>/model/info</c>'s <c>batching</c>, the
/// <c>drywet_batch_*</c> metrics); a reload of the same model reuses the measurements; explicit settings win; bad
/// values stop the start naming the key.
/// </summary>
public sealed class BatchTuningApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> BatchingAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement.GetProperty("batching");

    [Fact]
    public async Task By_default_the_batch_size_delay_and_objective_are_chosen_from_run_times_measured_at_load_and_a_reload_reuses_them()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["Model:Path"] = package });
        await using var _ = app;

        var batching = await BatchingAsync(client);
        batching.GetProperty("max_batch_size_source").GetString().ShouldBe("tuned");
        batching.GetProperty("max_batch_delay_source").GetString().ShouldBe("tuned");
        batching.GetProperty("latency_objective_source").GetString().ShouldBe("tuned");
        batching.GetProperty("run_times_source").GetString().ShouldBe("measured_at_load");
        var runTimes = batching.GetProperty("run_ms_by_batch_size").EnumerateObject().ToDictionary(p => int.Parse(p.Name), p => p.Value.GetDouble());
        runTimes.Keys.ShouldContain(1);
        runTimes.Values.ShouldAllBe(ms => ms > 0);
        var size = batching.GetProperty("max_batch_size").GetInt32();
        runTimes.Keys.ShouldContain(size, "the chosen size is one that was measured");
        batching.GetProperty("latency_objective_ms").GetDouble().ShouldBeGreaterThanOrEqualTo(10);
        var info = JsonDocument.Parse(await client.GetStringAsync("/model/info", Ct)).RootElement;
        info.GetProperty("max_batch_size").GetInt32().ShouldBe(size);

        using var prediction = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
        prediction.StatusCode.ShouldBe(HttpStatusCode.OK);
        await DecodeLimitsApiTests.MetricsShouldCountAsync(client, "drywet_batch_max_size{", "source=\"tuned\"");

        using var reload = await client.PostAsync("/model/reload", null, Ct);
        reload.StatusCode.ShouldBe(HttpStatusCode.OK);
        var reloaded = await BatchingAsync(client);
        reloaded.GetProperty("run_times_source").GetString().ShouldBe("reused_unchanged_model");
        reloaded.GetProperty("max_batch_size").GetInt32().ShouldBe(size);
        reloaded.GetProperty("run_ms_by_batch_size").GetRawText().ShouldBe(batching.GetProperty("run_ms_by_batch_size").GetRawText());
    }

    [Fact]
    public async Task Explicit_batch_size_delay_and_objective_win_and_only_they_are_run_at_load()
    {
        using var folder = new TempFolder();
        var package = TestModels.WritePackage(folder.Sub("package"), TestModels.BlueVersusRed(), imgSize: 16);
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Path"] = package,
            ["Model:MaxBatchSize"] = "3",
            ["Model:MaxBatchDelayMilliseconds"] = "2.5",
            ["Serving:LatencyObjectiveMs"] = "50",
        });
        await using var _ = app;

        var batching = await BatchingAsync(client);
        batching.GetProperty("max_batch_size").GetInt32().ShouldBe(3);
        batching.GetProperty("max_batch_size_source").GetString().ShouldBe("configured");
        batching.GetProperty("max_batch_delay_ms").GetDouble().ShouldBe(2.5);
        batching.GetProperty("max_batch_delay_source").GetString().ShouldBe("configured");
        batching.GetProperty("latency_objective_ms").GetDouble().ShouldBe(50);
        batching.GetProperty("latency_objective_source").GetString().ShouldBe("configured");
        batching.GetProperty("run_ms_by_batch_size").EnumerateObject().Select(p => p.Name).ShouldBe(["1", "3"]);

        using var prediction = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: false)), Ct);
        prediction.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Batch_settings_out_of_range_stop_the_start_naming_each_key()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Model:MaxBatchSize"] = "0",
            ["Model:MaxBatchDelayMilliseconds"] = "-1",
            ["Model:ConcurrentRuns"] = "65",
            ["Model:BatchTuningBudget"] = "01:00:00",
        }));

        error.Message.ShouldContain("Model:MaxBatchSize = '0' is invalid");
        error.Message.ShouldContain("Model:MaxBatchDelayMilliseconds = '-1' is invalid");
        error.Message.ShouldContain("Model:ConcurrentRuns = '65' is invalid");
        error.Message.ShouldContain("Model:BatchTuningBudget = '01:00:00' is invalid");

        var objective = await Should.ThrowAsync<DryWetException>(() => ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:LatencyObjectiveMs"] = "0",
        }));
        objective.Message.ShouldContain("Serving:LatencyObjectiveMs = '0' is invalid");
    }
}
