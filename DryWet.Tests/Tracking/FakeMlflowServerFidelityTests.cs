using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>
/// The fake MLflow server answers like the real MLflow 3.9 server observed on 2026-12-01
/// (docs/reference/mlflow-observed.md in the shared folder): raw HTTP against the fake, byte shapes included, plus
/// how DryWet's client reads those answers.
/// </summary>
public sealed class FakeMlflowServerFidelityTests : IAsyncLifetime
{
    private readonly string _home = TestFolders.NewTempDirectory("mlflow-fidelity");
    private FakeMlflowServer _server = null!;
    private IHost _host = null!;
    private HttpClient _http = null!;

    private MlflowClient Client => _host.Services.GetRequiredService<MlflowClient>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeMlflowServer.StartAsync();
        _host = PlatformHost.Build(_home, _server.BaseAddress);
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _host.Dispose();
        await _server.DisposeAsync();
        TestFolders.DeleteQuietly(_home);
    }

    [Fact]
    public async Task A_missing_alias_is_400_INVALID_PARAMETER_VALUE_and_the_client_reads_it_as_no_alias()
    {
        var version = await RegisterVersionAsync("m");

        using var response = await _http.GetAsync("api/2.0/mlflow/registered-models/alias?name=m&alias=production", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe(
            "{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"Registered model alias production not found.\"}");
        (await Client.GetModelVersionByAliasAsync("m", "production", Ct)).ShouldBeNull();
        await Client.SetAliasAsync("m", "production", version, Ct);
        (await Client.GetModelVersionByAliasAsync("m", "production", Ct))!.Version.ShouldBe(version);
    }

    [Fact]
    public async Task An_invalid_parameter_that_is_not_a_missing_alias_stays_an_error()
    {
        await RegisterVersionAsync("m");

        // Stage names are validated: the client must not turn every 400 into "not found".
        var error = await Should.ThrowAsync<MlflowException>(() => Client.TransitionStageAsync("m", "1", "Prod", archiveExistingVersions: false, Ct));

        error.StatusCode.ShouldBe(400);
        error.ServerMessage.ShouldContain("must be one of None, Staging, Production, Archived");
    }

    [Fact]
    public async Task Alias_DELETE_needs_a_JSON_body_answers_an_empty_object_and_the_alias_is_then_missing_again()
    {
        var version = await RegisterVersionAsync("m");
        await Client.SetAliasAsync("m", "production", version, Ct);

        using var queryOnly = await _http.DeleteAsync("api/2.0/mlflow/registered-models/alias?name=m&alias=production", Ct);
        queryOnly.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await queryOnly.Content.ReadAsStringAsync(Ct)).ShouldContain("Missing value for required parameter 'name'");
        (await Client.GetModelVersionByAliasAsync("m", "production", Ct)).ShouldNotBeNull();

        using var withBody = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "api/2.0/mlflow/registered-models/alias")
        {
            Content = new StringContent("{\"name\":\"m\",\"alias\":\"production\"}", Encoding.UTF8, "application/json"),
        }, Ct);
        withBody.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await withBody.Content.ReadAsStringAsync(Ct)).ShouldBe("{}");

        using var after = await _http.GetAsync("api/2.0/mlflow/registered-models/alias?name=m&alias=production", Ct);
        after.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await after.Content.ReadAsStringAsync(Ct)).ShouldContain("INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task The_client_deletes_an_alias_through_the_JSON_body()
    {
        var version = await RegisterVersionAsync("m");
        await Client.SetAliasAsync("m", "champion", version, Ct);

        await Client.DeleteAliasAsync("m", "champion", Ct);

        (await Client.GetModelVersionByAliasAsync("m", "champion", Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task A_missing_artifact_through_the_proxy_is_500_INTERNAL_ERROR()
    {
        using var response = await _http.GetAsync("api/2.0/mlflow-artifacts/artifacts/0/nope/artifacts/model/MLmodel", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        body.GetProperty("error_code").GetString().ShouldBe("INTERNAL_ERROR");
        body.GetProperty("message").GetString()!.ShouldContain("No such file or directory");
    }

    [Fact]
    public async Task Empty_fields_are_left_out_and_the_two_alias_shapes_differ()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("shapes", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        await Client.CreateRegisteredModelAsync("m", cancellationToken: Ct);

        var created = await PostJsonAsync("api/2.0/mlflow/model-versions/create",
            $"{{\"name\":\"m\",\"source\":\"{run.Info.ArtifactUri}/model\",\"run_id\":\"{run.Info.RunId}\"}}");
        var version = created.GetProperty("model_version");
        version.TryGetProperty("aliases", out _).ShouldBeFalse();
        version.GetProperty("run_link").GetString().ShouldBe("");
        await Client.WaitUntilReadyAsync("m", "1", Ct);
        await Client.TransitionStageAsync("m", "1", "Production", archiveExistingVersions: true, Ct);
        await Client.SetAliasAsync("m", "production", "1", Ct);

        var model = JsonDocument.Parse(await _http.GetStringAsync("api/2.0/mlflow/registered-models/get?name=m", Ct)).RootElement.GetProperty("registered_model");
        var alias = model.GetProperty("aliases")[0];
        alias.GetProperty("alias").GetString().ShouldBe("production");
        alias.GetProperty("version").GetString().ShouldBe("1");
        model.GetProperty("latest_versions").EnumerateArray().Select(v => v.TryGetProperty("aliases", out var _)).ShouldAllBe(has => !has);
        var byAlias = JsonDocument.Parse(await _http.GetStringAsync("api/2.0/mlflow/registered-models/alias?name=m&alias=production", Ct)).RootElement;
        byAlias.GetProperty("model_version").GetProperty("aliases")[0].GetString().ShouldBe("production");
        (await Client.GetRegisteredModelAsync("m", Ct))!.Aliases!.ShouldHaveSingleItem().Alias.ShouldBe("production");
    }

    [Fact]
    public async Task Log_batch_alias_POST_and_artifact_PUT_answer_an_empty_object_success_is_pretty_printed_errors_are_one_line()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("bodies", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        var version = await RegisterVersionAsync("m");

        (await PostRawAsync("api/2.0/mlflow/runs/log-batch", $"{{\"run_id\":\"{run.Info.RunId}\",\"params\":[{{\"key\":\"a\",\"value\":\"1\"}}]}}")).ShouldBe("{}");
        (await PostRawAsync("api/2.0/mlflow/registered-models/alias", $"{{\"name\":\"m\",\"alias\":\"a\",\"version\":\"{version}\"}}")).ShouldBe("{}");
        using var put = await _http.PutAsync("api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/f.txt", new ByteArrayContent([1, 2, 3]), Ct);
        (await put.Content.ReadAsStringAsync(Ct)).ShouldBe("{}");

        var success = await _http.GetStringAsync($"api/2.0/mlflow/runs/get?run_id={run.Info.RunId}", Ct);
        success.ShouldContain("\n");
        using var error = await _http.GetAsync("api/2.0/mlflow/runs/get?run_id=missing", Ct);
        error.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await error.Content.ReadAsStringAsync(Ct)).ShouldNotContain("\n");
    }

    [Fact]
    public async Task A_Host_that_is_not_local_or_private_is_refused_with_MLflows_403_and_health_is_exempt()
    {
        using var refused = await SendWithHostAsync("api/2.0/mlflow/experiments/get-by-name?experiment_name=Default", "mlflow-service.mlflow.svc.cluster.local:5000");
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        refused.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await refused.Content.ReadAsStringAsync(Ct)).ShouldBe("Invalid Host header - possible DNS rebinding attack detected");

        using var health = await SendWithHostAsync("health", "mlflow-service.mlflow.svc.cluster.local:5000");
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var privateAddress = await SendWithHostAsync("api/2.0/mlflow/experiments/get-by-name?experiment_name=Default", "10.0.3.7:5000");
        privateAddress.StatusCode.ShouldBe(HttpStatusCode.OK);

        _server.AllowedHosts.Add("mlflow-service.mlflow.svc.cluster.local"); // --allowed-hosts
        using var allowed = await SendWithHostAsync("api/2.0/mlflow/experiments/get-by-name?experiment_name=Default", "mlflow-service.mlflow.svc.cluster.local:5000");
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var version = await _http.GetAsync("version", Ct);
        version.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
    }

    [Fact]
    public async Task Metric_history_without_max_results_is_no_points_and_a_token_at_offset_0_and_with_it_pages()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("history", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        await Client.LogBatchAsync(run.Info.RunId, [new("loss", 0.5, 1_700_000_000_002, 2), new("loss", 0.7, 1_700_000_000_000, 0), new("loss", 0.6, 1_700_000_000_001, 1)], cancellationToken: Ct);
        var query = $"api/2.0/mlflow/metrics/get-history?run_id={run.Info.RunId}&metric_key=loss";

        // Observed (real 3.9, 2026-12-06): exactly this body, with no "metrics" key at all.
        (await _http.GetStringAsync(query, Ct)).ShouldBe("{\n  \"next_page_token\": \"eyJvZmZzZXQiOiAwfQ==\"\n}");
        var first = JsonNode.Parse(await _http.GetStringAsync(query + "&max_results=2", Ct))!;
        first["metrics"]!.AsArray().Select(m => m!["step"]!.GetValue<long>()).ShouldBe([0L, 1L], "ordered by timestamp");
        first["next_page_token"]!.GetValue<string>().ShouldBe("eyJvZmZzZXQiOiAyfQ==");
        var last = JsonNode.Parse(await _http.GetStringAsync(query + "&max_results=2&page_token=eyJvZmZzZXQiOiAyfQ==", Ct))!;
        last["metrics"]!.AsArray().Select(m => m!["step"]!.GetValue<long>()).ShouldBe([2L]);
        last.AsObject().ContainsKey("next_page_token").ShouldBeFalse();
        (await _http.GetStringAsync($"api/2.0/mlflow/metrics/get-history?run_id={run.Info.RunId}&metric_key=never", Ct)).ShouldBe("{}");
        (await Client.GetMetricHistoryAsync(run.Info.RunId, "loss", Ct)).Select(m => m.Step).ShouldBe([0L, 1L, 2L]);
    }

    [Fact]
    public async Task The_client_follows_the_metric_history_pages_past_25000_points()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("long-history", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        var points = Enumerable.Range(0, MlflowClient.MetricHistoryPageSize + 3).Select(i => new MlflowMetric("loss", i, 1_700_000_000_000 + i, i)).ToList();
        await Client.LogBatchAsync(run.Info.RunId, points, cancellationToken: Ct);

        var history = await Client.GetMetricHistoryAsync(run.Info.RunId, "loss", Ct);

        history.Select(m => m.Step).ShouldBe(points.Select(p => p.Step));
        _server.Requests.Count(r => r.Path.EndsWith("/metrics/get-history")).ShouldBe(2);
    }

    [Fact]
    public async Task Model_version_search_pages_with_max_results_and_the_client_reads_every_page()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("search", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        await Client.CreateRegisteredModelAsync("many", cancellationToken: Ct);
        for (var i = 0; i < 203; i++)
        {
            await Client.CreateModelVersionAsync("many", run.Info.ArtifactUri + "/model", run.Info.RunId, cancellationToken: Ct);
        }

        var page = JsonNode.Parse(await _http.GetStringAsync("api/2.0/mlflow/model-versions/search?filter=name%3D%27many%27&max_results=2", Ct))!;
        page["model_versions"]!.AsArray().Count.ShouldBe(2);
        page["next_page_token"]!.GetValue<string>().ShouldBe("eyJvZmZzZXQiOiAyfQ==");
        using var zero = await _http.GetAsync("api/2.0/mlflow/model-versions/search?filter=name%3D%27many%27&max_results=0", Ct);
        zero.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await zero.Content.ReadAsStringAsync(Ct)).ShouldBe(
            "{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"Invalid value for max_results. It must be a positive integer, but got 0\"}");
        using var tooMany = await _http.GetAsync("api/2.0/mlflow/model-versions/search?filter=name%3D%27many%27&max_results=200001", Ct);
        (await tooMany.Content.ReadAsStringAsync(Ct)).ShouldContain("Invalid value \\\"200001\\\" for parameter 'max_results' supplied");

        var all = await Client.SearchModelVersionsAsync("many", Ct);

        all.Select(v => v.Version).Distinct().Count().ShouldBe(203);
        _server.Requests.Count(r => r.Path.EndsWith("/model-versions/search")).ShouldBe(5, "the probe with 2, the two refused, then 200 + 3");
    }

    private async Task<HttpResponseMessage> SendWithHostAsync(string path, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return await _http.SendAsync(request, Ct);
    }

    private async Task<string> RegisterVersionAsync(string name)
    {
        var experiment = await Client.GetOrCreateExperimentAsync("e-" + name, Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        await Client.GetOrCreateRegisteredModelAsync(name, Ct);
        var created = await Client.CreateModelVersionAsync(name, run.Info.ArtifactUri + "/model", run.Info.RunId, cancellationToken: Ct);
        return (await Client.WaitUntilReadyAsync(name, created.Version, Ct)).Version;
    }

    private async Task<string> PostRawAsync(string path, string json)
    {
        using var response = await _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    private async Task<JsonElement> PostJsonAsync(string path, string json) => JsonDocument.Parse(await PostRawAsync(path, json)).RootElement.Clone();
}
