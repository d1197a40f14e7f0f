using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Core;
using DryWet.TrainingWorker.Commands;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.Tests.Pipelines;

/// <summary><c>pipeline submit</c> against <see cref="FakeKubeflowApi"/> (no KFP can run here).</summary>
public sealed class PipelineSubmitTests : IAsyncLifetime
{
    private FakeKubeflowApi kfp = null!;
    private readonly StringWriter output = new();

    public async ValueTask InitializeAsync() => kfp = await FakeKubeflowApi.StartAsync();

    public async ValueTask DisposeAsync() => await kfp.DisposeAsync();

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    private async Task<TrainingPipelineSubmitter.Outcome> SubmitAsync(bool wait = false, string? host = null, TimeSpan? timeout = null)
    {
        var baseAddress = KubeflowPipelinesClient.BaseAddressFor(host ?? kfp.Host.ToString());
        using var http = new HttpClient { BaseAddress = baseAddress };
        var submitter = new TrainingPipelineSubmitter(new KubeflowPipelinesClient(http), output,
            new FixedClock(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero)));
        return await submitter.SubmitAsync(KubeflowPipelineCompiler.Compile(new()),
            new(baseAddress, null, wait, TimeSpan.FromMilliseconds(10), timeout), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Submit_checks_health_creates_the_missing_experiment_then_the_run_and_prints_its_url()
    {
        var outcome = await SubmitAsync();

        kfp.Requests.Select(r => $"{r.Method} {r.PathAndQuery.Split('?')[0]}").ShouldBe([
            "GET /pipeline/apis/v2beta1/healthz",
            "GET /pipeline/apis/v2beta1/experiments",
            "POST /pipeline/apis/v2beta1/experiments",
            "POST /pipeline/apis/v2beta1/runs",
        ]);
        var list = kfp.Requests.ElementAt(1).PathAndQuery;
        var filter = JsonNode.Parse(Uri.UnescapeDataString(list.Split("filter=")[1].Split('&')[0]))!;
        filter.ToJsonString().ShouldBe("""{"predicates":[{"operation":"EQUALS","key":"display_name","string_value":"Dry-Wet Model Training Experiment"}]}""");
        kfp.Requests.ElementAt(2).Body!["display_name"]!.GetValue<string>().ShouldBe("Dry-Wet Model Training Experiment");

        var run = kfp.Requests.ElementAt(3).Body!.AsObject();
        run.Select(p => p.Key).ShouldBe(["display_name", "experiment_id", "pipeline_spec", "runtime_config"]);
        run["display_name"]!.GetValue<string>().ShouldBe("dry-wet-training 2026-03-04 05-06-07");
        run["experiment_id"]!.GetValue<string>().ShouldBe("exp-1");
        run["pipeline_spec"]!["pipeline_spec"]!["schemaVersion"]!.GetValue<string>().ShouldBe("2.1.0");
        run["pipeline_spec"]!["platform_spec"]!["platforms"]!["kubernetes"].ShouldNotBeNull();
        var parameters = run["runtime_config"]!["parameters"]!.AsObject();
        parameters.ToDictionary(p => p.Key, p => p.Value!.GetValueKind()).ShouldBe(new Dictionary<string, JsonValueKind>
        {
            ["source_data_bucket"] = JsonValueKind.String,
            ["source_data_object"] = JsonValueKind.String,
            ["destination_model_bucket"] = JsonValueKind.String,
            ["destination_model_name"] = JsonValueKind.String,
        }, ignoreOrder: true);
        parameters["source_data_object"]!.GetValue<string>().ShouldBe("dry-wet-data.zip");

        outcome.RunId.ShouldBe("run-1");
        outcome.RunUrl.ShouldBe($"{kfp.Host}/#/runs/details/run-1");
        outcome.ExitCode.ShouldBe(0);
        output.ToString().ShouldContain($"Run URL: {kfp.Host}/#/runs/details/run-1");
    }

    [Fact]
    public async Task Submit_reuses_an_existing_experiment()
    {
        kfp.AddExperiment("exp-existing", "Other");
        kfp.AddExperiment("exp-dry-wet", "Dry-Wet Model Training Experiment");
        await SubmitAsync();
        kfp.Requests.ShouldNotContain(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/experiments"));
        kfp.Requests.Last().Body!["experiment_id"]!.GetValue<string>().ShouldBe("exp-dry-wet");
    }

    [Fact]
    public async Task Health_in_the_ui_proxy_shape_is_understood()
    {
        kfp.HealthFromUi = true;
        (await SubmitAsync()).RunId.ShouldBe("run-1");
        output.ToString().ShouldContain("Kubeflow Pipelines 2.14.3");
    }

    [Fact]
    public async Task A_ui_reporting_the_api_server_not_ready_stops_before_anything_is_created()
    {
        kfp.HealthFromUi = true;
        kfp.ApiServerReady = false;
        (await Should.ThrowAsync<DryWetException>(() => SubmitAsync())).Message.ShouldContain("not ready");
        kfp.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Multi_user_kubeflow_without_a_namespace_is_refused_with_the_flag_to_use()
    {
        kfp.MultiUser = true;
        (await Should.ThrowAsync<DryWetException>(() => SubmitAsync())).Message.ShouldContain("--namespace");
    }

    [Theory]
    [InlineData("SUCCEEDED", 0)]
    [InlineData("FAILED", 1)]
    [InlineData("CANCELED", 1)]
    [InlineData("SKIPPED", 1)]
    public async Task Wait_follows_the_run_to_its_terminal_state(string terminal, int exitCode)
    {
        kfp.ScriptRunStates("PENDING", "RUNNING", "RUNNING", terminal);
        kfp.RunFailureMessage = "train-model: exit code 137 (OOMKilled)";
        var outcome = await SubmitAsync(wait: true);

        outcome.FinalState.ShouldBe(terminal);
        outcome.ExitCode.ShouldBe(exitCode);
        kfp.Requests.Count(r => r.PathAndQuery == "/pipeline/apis/v2beta1/runs/run-1").ShouldBe(4);
        var text = output.ToString();
        text.ShouldContain("run-1: RUNNING");
        text.ShouldContain($"run-1: {terminal}");
        if (terminal == "FAILED")
        {
            text.ShouldContain("OOMKilled");
            text.ShouldContain("step train-model FAILED: exit status 137");
            text.ShouldNotContain("step download-data");
        }
    }

    [Fact]
    public async Task Wait_gives_up_after_the_timeout_with_a_non_zero_exit()
    {
        kfp.ScriptRunStates("RUNNING");
        var outcome = await SubmitAsync(wait: true, timeout: TimeSpan.FromMilliseconds(50));
        outcome.ExitCode.ShouldBe(1);
        output.ToString().ShouldContain("still RUNNING");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Kfp_errors_in_either_body_shape_are_shown_with_status_grpc_code_and_message(bool legacyShape)
    {
        kfp.LegacyErrorShape = legacyShape;
        kfp.FailEverything = (409, 6, "Failed to create a new experiment due to name conflict");
        var error = await Should.ThrowAsync<KubeflowApiException>(() => SubmitAsync());
        error.Status.ShouldBe(HttpStatusCode.Conflict);
        error.GrpcCode.ShouldBe(6);
        error.Message.ShouldContain("HTTP 409 Conflict (gRPC 6 AlreadyExists): Failed to create a new experiment due to name conflict");
        error.Message.ShouldContain("listing experiments");
    }

    [Fact]
    public async Task A_host_without_the_pipeline_prefix_gets_a_hint_instead_of_html()
    {
        var wrongHost = kfp.Host.ToString().Replace("/pipeline", "/pipelines", StringComparison.Ordinal);
        var error = await Should.ThrowAsync<KubeflowApiException>(() => SubmitAsync(host: wrongHost));
        error.Status.ShouldBe(HttpStatusCode.NotFound);
        error.Message.ShouldContain("404 page not found");
        error.Message.ShouldContain("--kubeflow-host");
    }

    [Fact]
    public async Task An_unreachable_host_says_so_and_what_to_check()
    {
        var error = await Should.ThrowAsync<DryWetException>(() => SubmitAsync(host: "http://127.0.0.1:9/pipeline"));
        error.Message.ShouldContain("Could not reach Kubeflow Pipelines at http://127.0.0.1:9/pipeline/");
        error.Message.ShouldContain("minikube tunnel");
    }

    [Theory]
    [InlineData("""{"display_name":"r","experiment_id":"exp-1","pipeline_spec":{},"runtime_config":{"parameters":{}},"plugins_input":{}}""", "unknown field \"plugins_input\"")]
    [InlineData("""{"display_name":"r","experiment_id":"exp-1","pipeline_spec":{"pipeline_spec":{"schemaVersion":"2.0.0","pipelineInfo":{"name":"p"},"root":{}}},"runtime_config":{"parameters":{}}}""", "schema version 2.1.0")]
    public async Task The_fake_is_as_strict_as_the_server_about_fields_and_schema(string body, string expected)
    {
        kfp.AddExperiment("exp-1", "x");
        using var http = new HttpClient { BaseAddress = KubeflowPipelinesClient.BaseAddressFor(kfp.Host.ToString()) };
        using var response = await http.PostAsync("apis/v2beta1/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        error["code"]!.GetValue<int>().ShouldBe(3);
        error["message"]!.GetValue<string>().ShouldContain(expected);
    }

    [Fact]
    public async Task The_fake_rejects_a_runtime_parameter_of_the_wrong_json_type()
    {
        kfp.AddExperiment("exp-1", "x");
        var run = new JsonObject
        {
            ["display_name"] = "r",
            ["experiment_id"] = "exp-1",
            ["pipeline_spec"] = KubeflowPipelineCompiler.Compile(new()).ToRunPipelineSpec(),
            ["runtime_config"] = new JsonObject { ["parameters"] = new JsonObject { ["source_data_bucket"] = 7 } },
        };
        using var http = new HttpClient { BaseAddress = KubeflowPipelinesClient.BaseAddressFor(kfp.Host.ToString()) };
        using var response = await http.PostAsync("apis/v2beta1/runs", new StringContent(run.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("requires type STRING");
    }

    [Fact]
    public async Task The_submit_command_with_wait_exits_0_on_success_and_1_on_failure()
    {
        var root = new RootCommand();
        foreach (var command in TrainerCommands.All())
        {
            root.Subcommands.Add(command);
        }

        string[] args = ["pipeline", "submit", "--kubeflow-host", kfp.Host.ToString(), "--wait", "--poll-interval", "0.01", "--training-image", "dry_wet_train:v9.9.9"];
        kfp.ScriptRunStates("RUNNING", "SUCCEEDED");
        (await root.Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken)).ShouldBe(0);
        kfp.Requests.First(r => r.PathAndQuery.EndsWith("/runs", StringComparison.Ordinal)).Body!["pipeline_spec"]!["pipeline_spec"]!
            ["deploymentSpec"]!["executors"]!["exec-train-model"]!["container"]!["image"]!.GetValue<string>().ShouldBe("dry_wet_train:v9.9.9");

        kfp.ScriptRunStates("FAILED");
        (await root.Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken)).ShouldBe(1);

        string[] unreachable = ["pipeline", "submit", "--kubeflow-host", "http://127.0.0.1:9/pipeline"];
        (await root.Parse(unreachable).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken)).ShouldBe(2);
    }
}
