using System.Net;
using System.Text.Json;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Tests.Serving;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Registry;

/// <summary>
/// Serving from MLflow when the alias is missing. A real MLflow 3.9 answers a missing alias with 400
/// INVALID_PARAMETER_VALUE (not 404); serving must then fall back to the newest version in stage Production, the way
/// the original platform and MLflow UI's "Transition to Production" promote, and say clearly when neither exists.
/// </summary>
public sealed class MlflowStageFallbackTests : IAsyncLifetime
{
    private const string Model = "dry_wet_model";
    private readonly string _home = TestFolders.NewTempDirectory("mlflow-stage-fallback");
    private FakeMlflowServer _mlflow = null!;
    private IHost _platform = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private MlflowClient Mlflow => _platform.Services.GetRequiredService<MlflowClient>();

    public async ValueTask InitializeAsync()
    {
        _mlflow = await FakeMlflowServer.StartAsync();
        _platform = PlatformHost.Build(_home, _mlflow.BaseAddress);
    }

    public async ValueTask DisposeAsync()
    {
        _platform.Dispose();
        await _mlflow.DisposeAsync();
        TestFolders.DeleteQuietly(_home);
    }

    [Fact]
    public async Task A_version_promoted_only_by_stage_is_served()
    {
        var version = await RegisterAsync(k: 4f);
        await Mlflow.TransitionStageAsync(Model, version, "Production", archiveExistingVersions: true, Ct);

        var (app, client) = await StartServingAsync();
        await using var _ = app;

        var info = await Json(await client.GetAsync("/model/info", Ct));
        info.GetProperty("model_version").GetString().ShouldBe(version);
        info.GetProperty("model_stage").GetString().ShouldBe("Production");
        (await PredictAsync(client, wet: true)).ShouldBe("wet");
    }

    [Fact]
    public async Task After_the_alias_is_deleted_a_reload_serves_the_newest_Production_version()
    {
        var v1 = await RegisterAsync(k: 4f);
        await _platform.Services.GetRequiredService<IModelRegistry>().PromoteAsync(Model, v1, cancellationToken: Ct);
        var v2 = await RegisterAsync(k: -4f); // inverted, so the switch shows in answers
        await Mlflow.TransitionStageAsync(Model, v2, "Production", archiveExistingVersions: true, Ct);
        var (app, client) = await StartServingAsync();
        await using var _ = app;
        (await Json(await client.GetAsync("/model/info", Ct))).GetProperty("model_version").GetString().ShouldBe(v1); // the alias wins

        await Mlflow.DeleteAliasAsync(Model, "production", Ct);
        using var reload = await client.PostAsync("/model/reload", null, Ct);

        reload.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Json(reload)).GetProperty("model_version").GetString().ShouldBe(v2);
        (await PredictAsync(client, wet: true)).ShouldBe("dry");
    }

    [Fact]
    public async Task With_neither_alias_nor_Production_stage_predict_is_503_and_reload_names_both()
    {
        var version = await RegisterAsync(k: 4f);
        await Mlflow.TransitionStageAsync(Model, version, "Staging", archiveExistingVersions: false, Ct);
        var (app, client) = await StartServingAsync(waitForModel: false);
        await using var _ = app;

        using var reload = await client.PostAsync("/model/reload", null, Ct);
        var reason = (await Json(reload)).GetProperty("reason").GetString()!;
        reload.StatusCode.ShouldBe(HttpStatusCode.InternalServerError); // the original's reload contract
        reason.ShouldContain($"No version of '{Model}' has alias 'production' or stage 'Production'");
        reason.ShouldNotContain("HTTP 400");

        using var predict = await client.PostAsync("/predict", ServingApp.ImageForm(TestImages.Road(wet: true)), Ct);
        predict.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await Json(predict)).GetProperty("reason").GetString().ShouldBe(reason);
    }

    private async Task<(ServingApp App, HttpClient Client)> StartServingAsync(bool waitForModel = true) =>
        await ServingApp.StartAsync(new Dictionary<string, string?>
        {
            ["DryWet:Home"] = _home,
            ["ConnectionStrings:mlflow"] = _mlflow.BaseAddress.ToString(),
            ["Model:RetryInterval"] = "00:10:00", // no background retry racing the test's own reload
        }, waitForModel);

    /// <summary>Logs a real ONNX package to a run and registers it, without alias or stage.</summary>
    private async Task<string> RegisterAsync(float k) =>
        (await RegistryTestModels.LogAndRegisterAsync(_platform, Path.Combine(_home, "work"), k, model: Model)).Version;

    private static Task<string> PredictAsync(HttpClient client, bool wet) => RegistryTestModels.PredictAsync(client, wet);

    private static Task<JsonElement> Json(HttpResponseMessage response) => RegistryTestModels.Json(response);
}
