using System.Net;
using System.Text.Json;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Registry;

/// <summary>
/// Serving from the model registry: train-like registration (a real ONNX package logged to a run, registered and
/// promoted) → the real serving app resolves production, downloads into the cache, predicts; alias moves → reload.
/// Test models: "wet when blue outweighs red" (k &gt; 0) and its inverse (k &lt; 0), so a reload is visible in answers.
/// </summary>
public sealed class RegistryServingTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("registry-serving");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serving_resolves_production_from_the_embedded_registry_reports_its_metadata_and_predicts()
    {
        using (var platform = PlatformHost.Build(_home))
        {
            var v1 = await RegisterAndPromoteAsync(platform, k: 4f, "Dry/Wet road classifier trained with validation accuracy: 0.9500");
            v1.Version.ShouldBe("1");
        }

        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?> { ["DryWet:Home"] = _home });
        await using var _ = app;

        var info = await Json(await client.GetAsync("/model/info", Ct));
        info.GetProperty("model_name").GetString().ShouldBe("dry_wet_model");
        info.GetProperty("model_version").GetString().ShouldBe("1");
        info.GetProperty("model_stage").GetString().ShouldBe("Production");
        info.GetProperty("model_description").GetString().ShouldBe("Dry/Wet road classifier trained with validation accuracy: 0.9500");
        info.GetProperty("creation_timestamp").GetInt64().ShouldBeGreaterThan(1_600_000_000_000);
        (await PredictAsync(client, wet: true)).ShouldBe("wet");
        (await PredictAsync(client, wet: false)).ShouldBe("dry");
        File.Exists(Path.Combine(_home, "cache", "models", "dry_wet_model", "1", "model.onnx")).ShouldBeTrue();
    }

    [Fact]
    public async Task When_the_production_alias_moves_a_polling_server_reloads_the_new_version()
    {
        using var platform = PlatformHost.Build(_home);
        await RegisterAndPromoteAsync(platform, k: 4f, "first");
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = _home,
            ["Model:PollInterval"] = "00:00:00.100",
        });
        await using var _ = app;
        (await PredictAsync(client, wet: true)).ShouldBe("wet");

        await RegisterAndPromoteAsync(platform, k: -4f, "second, inverted");

        await WaitUntilAsync(async () => (await Json(await client.GetAsync("/model/info", Ct))).GetProperty("model_version").GetString() == "2");
        (await PredictAsync(client, wet: true)).ShouldBe("dry"); // the inverted model answers now
        (await Json(await client.GetAsync("/model/info", Ct))).GetProperty("model_description").GetString().ShouldBe("second, inverted");
    }

    [Fact]
    public async Task Serving_loads_the_production_model_from_MLflow_through_the_artifact_proxy()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        using (var platform = PlatformHost.Build(_home, mlflow.BaseAddress))
        {
            await RegisterAndPromoteAsync(platform, k: 4f, "from mlflow");
        }

        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = _home,
            ["ConnectionStrings:mlflow"] = mlflow.BaseAddress.ToString(),
        });
        await using var _ = app;

        var info = await Json(await client.GetAsync("/model/info", Ct));
        info.GetProperty("model_version").GetString().ShouldBe("1");
        info.GetProperty("source").GetString()!.ShouldContain("MLflow");
        (await PredictAsync(client, wet: true)).ShouldBe("wet");
        mlflow.Requests.ShouldContain(r => r.Path.StartsWith("/api/2.0/mlflow-artifacts/artifacts/") && r.Method == "GET");
    }

    [Fact]
    public async Task Registry_down_at_start_the_server_runs_not_ready_answers_503_with_the_reason_and_loads_once_MLflow_is_up()
    {
        var port = S3rverFixture.FreePort();
        var url = $"http://127.0.0.1:{port}/";
        var (app, client) = await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = _home,
            ["ConnectionStrings:mlflow"] = url,
            ["Model:RetryInterval"] = "00:00:00.200",
            ["DryWet:Mlflow:MaxRetryAttempts"] = "0", // fail fast: the source retries on its own schedule
        }, waitForModel: false);
        await using var _ = app;

        // Until the first attempt fails the reason is "still loading"; after it, the reason names the unreachable server.
        // Every answer meanwhile is a 503, and the server is not ready.
        await WaitUntilAsync(async () =>
        {
            using var refused = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
            refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            return (await Json(refused)).GetProperty("reason").GetString()!.Contains($"127.0.0.1:{port}", StringComparison.Ordinal);
        });
        (await client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        await using var mlflow = await FakeMlflowServer.StartAsync(port);
        using (var platform = PlatformHost.Build(_home, mlflow.BaseAddress))
        {
            await RegisterAndPromoteAsync(platform, k: 4f, "late");
        }

        await WaitUntilAsync(async () => (await client.GetAsync("/health", Ct)).StatusCode == HttpStatusCode.OK);
        (await PredictAsync(client, wet: true)).ShouldBe("wet");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);

    /// <summary>What train does after training: log the package to a run, register it, promote it, describe it.</summary>
    private async Task<ModelVersion> RegisterAndPromoteAsync(IHost platform, float k, string description)
    {
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var version = await RegistryTestModels.LogAndRegisterAsync(platform, Path.Combine(_home, "work"), k);
        await registry.PromoteAsync("dry_wet_model", version.Version, cancellationToken: Ct);
        return await registry.UpdateDescriptionAsync("dry_wet_model", version.Version, description, Ct);
    }

    private static Task<string> PredictAsync(HttpClient client, bool wet) => RegistryTestModels.PredictAsync(client, wet);

    private static Task<JsonElement> Json(HttpResponseMessage response) => RegistryTestModels.Json(response);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not become true within 20 s.");
            }

            await Task.Delay(100, Ct);
        }
    }
}
