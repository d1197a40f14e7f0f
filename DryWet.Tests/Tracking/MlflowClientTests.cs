using System.Net;
using System.Text;
using DryWet.Core;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>The MLflow client's wire behaviour against the fake server: content types, error mapping, limits, retries.</summary>
public sealed class MlflowClientTests : IAsyncLifetime
{
    private readonly string _home = TestFolders.NewTempDirectory("mlflow-client");
    private FakeMlflowServer _server = null!;
    private IHost _host = null!;

    private MlflowClient Client => _host.Services.GetRequiredService<MlflowClient>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeMlflowServer.StartAsync();
        _host = PlatformHost.Build(_home, _server.BaseAddress);
    }

    public async ValueTask DisposeAsync()
    {
        _host.Dispose();
        await _server.DisposeAsync();
        TestFolders.DeleteQuietly(_home);
    }

    [Fact]
    public async Task Every_call_with_a_JSON_body_sends_Content_Type_application_json()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("ct-exp", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct);
        await Client.LogBatchAsync(run.Info.RunId, [new MlflowMetric("m", 1, 1, 0)], [new MlflowParam("p", "v")], [new MlflowTag("t", "v")], Ct);
        await Client.SetTagAsync(run.Info.RunId, "k", "v", Ct);
        await Client.CreateRegisteredModelAsync("m1", cancellationToken: Ct);
        var version = await Client.CreateModelVersionAsync("m1", run.Info.ArtifactUri + "/model", run.Info.RunId, cancellationToken: Ct);
        await Client.UpdateModelVersionDescriptionAsync("m1", version.Version, "d", Ct);
        await Client.DeleteModelVersionAsync("m1", version.Version, Ct);
        await Client.UpdateRunAsync(run.Info.RunId, MlflowRunStatus.Finished, DateTimeOffset.UtcNow, Ct);

        var withBody = _server.Requests.Where(r => r.Method is "POST" or "PATCH" or "DELETE").ToList();
        withBody.Count.ShouldBe(9);
        withBody.ShouldAllBe(r => r.ContentType != null && r.ContentType.StartsWith("application/json"));
    }

    [Fact]
    public async Task The_fake_server_like_MLflow_rejects_a_POST_without_a_JSON_content_type()
    {
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };

        using var response = await http.PostAsync("api/2.0/mlflow/experiments/create", new StringContent("{\"name\":\"x\"}", Encoding.UTF8, "text/plain"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"Bad Request. Content-Type must be one of ['application/json'].\"}");
    }

    [Fact]
    public async Task Creating_an_existing_experiment_maps_HTTP_400_RESOURCE_ALREADY_EXISTS_to_a_typed_error()
    {
        await Client.CreateExperimentAsync("dup", cancellationToken: Ct);

        var error = await Should.ThrowAsync<MlflowException>(() => Client.CreateExperimentAsync("dup", cancellationToken: Ct));

        error.StatusCode.ShouldBe(400);
        error.ErrorCode.ShouldBe(MlflowException.ResourceAlreadyExists);
        error.IsAlreadyExists.ShouldBeTrue();
        error.Message.ShouldContain("experiments/create");
    }

    [Fact]
    public async Task A_missing_run_maps_HTTP_404_RESOURCE_DOES_NOT_EXIST_and_a_missing_experiment_reads_as_null()
    {
        var error = await Should.ThrowAsync<MlflowException>(() => Client.GetRunAsync("no-such-run", Ct));

        error.StatusCode.ShouldBe(404);
        error.IsNotFound.ShouldBeTrue();
        (await Client.GetExperimentByNameAsync("never-created", Ct)).ShouldBeNull();
        (await Client.GetModelVersionByAliasAsync("no-model", "production", Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Log_batch_is_split_to_MLflow_limits_and_every_entity_arrives()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("batch", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, null, DateTimeOffset.UtcNow, [], Ct);
        var metrics = Enumerable.Range(0, 2500).Select(i => new MlflowMetric("loss", i, 1_700_000_000_000 + i, i)).ToList();
        var parameters = Enumerable.Range(0, 150).Select(i => new MlflowParam($"p{i}", "v")).ToList();
        var tags = Enumerable.Range(0, 120).Select(i => new MlflowTag($"t{i}", "v")).ToList();

        await Client.LogBatchAsync(run.Info.RunId, metrics, parameters, tags, Ct);

        _server.Requests.Count(r => r.Path.EndsWith("/runs/log-batch")).ShouldBe(3);
        (await Client.GetMetricHistoryAsync(run.Info.RunId, "loss", Ct)).Count.ShouldBe(2500);
        var stored = await Client.GetRunAsync(run.Info.RunId, Ct);
        stored.Data!.Params!.Count.ShouldBe(150);
        stored.Data.Tags!.Count.ShouldBe(120);
    }

    [Fact]
    public void Every_log_batch_chunk_respects_each_limit_and_the_total()
    {
        var metrics = Enumerable.Range(0, 1999).Select(i => new MlflowMetric("m", i, i, i)).ToList();
        var parameters = Enumerable.Range(0, 250).Select(i => new MlflowParam($"p{i}", "v")).ToList();
        var tags = Enumerable.Range(0, 101).Select(i => new MlflowTag($"t{i}", "v")).ToList();

        var chunks = MlflowClient.SplitBatch("r", metrics, parameters, tags).ToList();

        chunks.ShouldAllBe(c => c.Metrics.Count <= 1000 && c.Params.Count <= 100 && c.Tags.Count <= 100
            && c.Metrics.Count + c.Params.Count + c.Tags.Count <= 1000);
        chunks.Sum(c => c.Metrics.Count).ShouldBe(1999);
        chunks.Sum(c => c.Params.Count).ShouldBe(250);
        chunks.Sum(c => c.Tags.Count).ShouldBe(101);
    }

    [Fact]
    public async Task The_fake_server_like_MLflow_rejects_more_than_1000_metrics_in_one_call()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("limit", Ct);
        var run = await Client.CreateRunAsync(experiment.ExperimentId, null, DateTimeOffset.UtcNow, [], Ct);
        using var http = new HttpClient { BaseAddress = _server.BaseAddress };
        var metrics = string.Join(',', Enumerable.Range(0, 1001).Select(i => $"{{\"key\":\"m\",\"value\":1,\"timestamp\":{i},\"step\":{i}}}"));

        using var response = await http.PostAsync("api/2.0/mlflow/runs/log-batch",
            new StringContent($"{{\"run_id\":\"{run.Info.RunId}\",\"metrics\":[{metrics}]}}", Encoding.UTF8, "application/json"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_transient_503_is_retried_and_the_call_then_succeeds()
    {
        await Client.CreateExperimentAsync("retry-exp", cancellationToken: Ct);
        _server.FailNextRequests(2, 503);
        var before = _server.Requests.Count;

        var experiment = await Client.GetExperimentByNameAsync("retry-exp", Ct);

        experiment.ShouldNotBeNull();
        (_server.Requests.Count - before).ShouldBe(3);
    }

    [Fact]
    public async Task A_run_create_answered_503_is_not_repeated_because_a_repeat_could_duplicate_the_run()
    {
        var experiment = await Client.GetOrCreateExperimentAsync("no-dup", Ct);
        _server.FailNextRequests(1, 503);

        var error = await Should.ThrowAsync<MlflowException>(() => Client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct));

        error.StatusCode.ShouldBe(503);
        _server.Requests.Count(r => r.Path.EndsWith("/runs/create")).ShouldBe(1);
    }

    [Fact]
    public async Task Under_the_service_defaults_the_default_resilience_handler_does_not_also_retry_MLflow_POSTs()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["ConnectionStrings:mlflow"] = _server.BaseAddress.ToString();
        builder.AddServiceDefaults(); // adds the standard resilience handler to every HttpClient
        builder.AddMlflowClient();
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<MlflowClient>();
        var experiment = await client.GetOrCreateExperimentAsync("defaults", Ct);
        _server.FailNextRequests(1, 503);

        await Should.ThrowAsync<MlflowException>(() => client.CreateRunAsync(experiment.ExperimentId, "r", DateTimeOffset.UtcNow, [], Ct));

        _server.Requests.Count(r => r.Path.EndsWith("/runs/create")).ShouldBe(1);
    }

    [Fact]
    public async Task Against_mlflows_basic_auth_app_the_client_sends_the_connection_strings_credentials()
    {
        _server.BasicAuth = ("drywet", "0123abcd-pass");
        MlflowClient ClientFor(params (string Key, string Value)[] settings)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            foreach (var (key, value) in settings) builder.Configuration[key] = value;
            builder.Configuration["DryWet:Mlflow:MaxRetryAttempts"] = "0";
            builder.AddMlflowClient();
            return builder.Build().Services.GetRequiredService<MlflowClient>();
        }

        var endpoint = _server.BaseAddress.ToString();
        (await ClientFor(("ConnectionStrings:mlflow", $"Endpoint={endpoint};Username=drywet;Password=0123abcd-pass"))
            .GetOrCreateExperimentAsync("with-auth", Ct)).Name.ShouldBe("with-auth");
        // MLflow's own client variables, when the connection string has no credentials.
        (await ClientFor(("ConnectionStrings:mlflow", endpoint), ("MLFLOW_TRACKING_USERNAME", "drywet"), ("MLFLOW_TRACKING_PASSWORD", "0123abcd-pass"))
            .GetOrCreateExperimentAsync("with-env", Ct)).Name.ShouldBe("with-env");

        var refused = await Should.ThrowAsync<MlflowException>(() => ClientFor(("ConnectionStrings:mlflow", endpoint)).GetOrCreateExperimentAsync("without", Ct));
        refused.StatusCode.ShouldBe(401);
    }

    [Fact]
    public void Mlflow_credentials_come_in_pairs_and_errors_never_repeat_the_password()
    {
        var connection = MlflowConnectionString.Read("Endpoint=http://mlflow:5000;Username=u;Password=s3cret-pw");
        connection.Endpoint.AbsoluteUri.ShouldBe("http://mlflow:5000/");
        connection.Authorization!.Parameter.ShouldBe(Convert.ToBase64String("u:s3cret-pw"u8.ToArray()));
        connection.ToString().ShouldNotContain("s3cret-pw");
        MlflowConnectionString.Read("http://mlflow:5000").Authorization.ShouldBeNull();

        Should.Throw<DryWetException>(() => MlflowConnectionString.Read("Endpoint=http://mlflow:5000;Username=u")).Message.ShouldContain("Username without a Password");
        Should.Throw<DryWetException>(() => MlflowConnectionString.Read("Endpoint=ftp://mlflow;Username=u;Password=s3cret-pw")).Message.ShouldNotContain("s3cret-pw");
    }

    [Fact]
    public async Task An_unreachable_server_fails_after_retries_with_an_error_naming_the_URL_and_the_setting()
    {
        var deadPort = S3rverFixture.FreePort();
        using var host = PlatformHost.Build(_home, new Uri($"http://127.0.0.1:{deadPort}/"), maxRetries: 2);
        var client = host.Services.GetRequiredService<MlflowClient>();

        var error = await Should.ThrowAsync<MlflowUnavailableException>(() => client.CreateRunAsync("1", "r", DateTimeOffset.UtcNow, [], Ct));

        error.Message.ShouldContain($"127.0.0.1:{deadPort}");
        error.Message.ShouldContain("ConnectionStrings:mlflow");
    }

    [Theory]
    [InlineData("mlflow-artifacts:/1/abc/artifacts", "model/MLmodel", "api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel")]
    [InlineData("mlflow-artifacts:/1/abc/artifacts/model", null, "api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model")]
    [InlineData("mlflow-artifacts:/0/r/artifacts", "my dir/a b.txt", "api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/my%20dir/a%20b.txt")]
    public void Artifact_URIs_map_to_the_tracking_servers_proxy(string artifactUri, string? relative, string expectedPath)
    {
        Client.ArtifactProxyUri(artifactUri, relative).AbsoluteUri.ShouldBe(new Uri(_server.BaseAddress, expectedPath).AbsoluteUri);
    }

    [Fact]
    public void An_artifact_URI_with_a_host_goes_to_that_host()
    {
        Client.ArtifactProxyUri("mlflow-artifacts://other:5001/2/r/artifacts", "x").AbsoluteUri
            .ShouldBe("http://other:5001/api/2.0/mlflow-artifacts/artifacts/2/r/artifacts/x");
    }

    [Theory]
    [InlineData("Endpoint=http://mlflow:5000", "http://mlflow:5000/")]
    [InlineData("http://mlflow:5000", "http://mlflow:5000/")]
    [InlineData("mlflow.mlflow.svc:5000", "http://mlflow.mlflow.svc:5000/")]
    public void The_mlflow_connection_string_accepts_Aspire_and_bare_URL_forms(string value, string expected)
    {
        MlflowConnectionString.Parse(value).AbsoluteUri.ShouldBe(expected);
    }

    [Fact]
    public void A_non_http_mlflow_connection_string_is_rejected_with_the_value()
    {
        Should.Throw<DryWetException>(() => MlflowConnectionString.Parse("Endpoint=ftp://x")).Message.ShouldContain("ftp://x");
    }
}
