using System.Text.Json.Nodes;
using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>
/// What makes a DryWet run look like a Python-logged one in MLflow, on both adapters: the dataset input with its
/// context tag, the model as a LoggedModel linked as the run's output, and system metrics sampled while the run is open.
/// </summary>
public abstract class RunRecordContractTests : IAsyncDisposable
{
    protected readonly string Home = TestFolders.NewTempDirectory("run-record-home");
    private readonly List<IHost> _hosts = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A platform host on this adapter; <paramref name="settings"/> are extra configuration.</summary>
    protected abstract Task<IHost> BuildHostAsync(IReadOnlyDictionary<string, string>? settings = null);

    protected async Task<(IExperimentTracker Tracker, ITrackedRunReader Reader)> PlatformAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var host = await BuildHostAsync(settings);
        _hosts.Add(host);
        return (host.Services.GetRequiredService<IExperimentTracker>(), host.Services.GetRequiredService<ITrackedRunReader>());
    }

    public virtual ValueTask DisposeAsync()
    {
        _hosts.ForEach(h => h.Dispose());
        TestFolders.DeleteQuietly(Home);
        return ValueTask.CompletedTask;
    }

    public static TrackedDataset SampleDataset() => new("dry-wet-data", "3f2a9c1be0", "s3", "{\"uri\": \"s3://ml-data/dry-wet-data.zip\"}",
        "{\"mlflow_tensorspec\": {\"features\": \"[]\", \"targets\": \"[]\"}}", "{\"num_images\": 40, \"classes\": {\"dry\": 20, \"wet\": 20}}");

    [Fact]
    public async Task The_training_dataset_is_recorded_as_a_run_input_with_context_training()
    {
        var (tracker, reader) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("inputs-exp", cancellationToken: Ct);

        await run.LogInputsAsync([SampleDataset()], Ct);
        await run.LogInputsAsync([SampleDataset()], Ct); // a repeat keeps one input
        await run.EndAsync(RunOutcome.Finished, Ct);

        var snapshot = await reader.GetRunAsync(run.RunId, Ct);
        snapshot.Datasets.ShouldBe([SampleDataset()]);
        snapshot.Datasets[0].Context.ShouldBe("training");
    }

    [Fact]
    public async Task A_dataset_without_a_digest_is_refused_naming_the_field()
    {
        var (tracker, _) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("inputs-bad", cancellationToken: Ct);

        var error = await Should.ThrowAsync<DryWetException>(() => run.LogInputsAsync([SampleDataset() with { Digest = "" }], Ct));

        error.Message.ShouldContain("digest");
        error.Message.ShouldContain("dry-wet-data");
    }

    [Fact]
    public async Task The_model_becomes_a_READY_LoggedModel_with_its_files_and_the_run_params_linked_as_the_run_output()
    {
        var (tracker, reader) = await PlatformAsync();
        var package = ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "weights-lm");
        await using var run = await tracker.StartRunAsync("logged-models-exp", cancellationToken: Ct);
        await run.LogParamsAsync(new Dictionary<string, string> { ["epochs"] = "3" }, Ct);

        var logged = await run.LogModelAsync(package, cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        logged.ModelId.ShouldNotBeNull();
        logged.ModelId.ShouldMatch("^m-[0-9a-f]{32}$");
        logged.RunArtifactUri.ShouldBe(run.ArtifactUri + "/model");
        var snapshot = await reader.GetRunAsync(run.RunId, Ct);
        var model = snapshot.LoggedModels.ShouldHaveSingleItem();
        model.ModelId.ShouldBe(logged.ModelId);
        model.Name.ShouldBe("model");
        model.Status.ShouldBeOneOf("LOGGED_MODEL_READY", "READY");
        model.SourceRunId.ShouldBe(run.RunId);
        model.ArtifactUri.ShouldBe(logged.ModelArtifactUri);
        model.ArtifactUri.ShouldContain($"/models/{logged.ModelId}/artifacts");
        model.ArtifactPaths.ShouldBe(["MLmodel", "labels.json", "model.onnx"]);
        model.Params.ShouldBe(new Dictionary<string, string> { ["epochs"] = "3" });
        // The run's own model/ artifacts stay: the registry registers those, as before.
        snapshot.ArtifactPaths.ShouldContain("model/model.onnx");
    }

    [Fact]
    public async Task A_version_registered_from_the_LoggedModel_is_listed_on_it_and_MLmodel_names_the_model_id()
    {
        var (tracker, reader) = await PlatformAsync();
        var registry = _hosts[^1].Services.GetRequiredService<IModelRegistry>();
        var package = ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "weights-linked");
        await using var run = await tracker.StartRunAsync("linked-exp", cancellationToken: Ct);
        var logged = await run.LogModelAsync(package, cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        var version = await registry.RegisterAsync("linked_model", logged.ModelArtifactUri!, run.RunId, "linked", logged.ModelId, Ct);

        version.Source.ShouldBe(logged.ModelArtifactUri);
        var model = (await reader.GetRunAsync(run.RunId, Ct)).LoggedModels.ShouldHaveSingleItem();
        model.Tags[EmbeddedModelVersionsTag].ShouldBe(ObservedModelVersionsTag("linked_model", version.Version));
        // MLmodel names the LoggedModel (sorted among the top-level keys, as PyYAML writes them), in the package and in
        // what the registry hands out.
        File.ReadAllText(Path.Combine(package, "MLmodel")).ShouldContain($"mlflow_version: 2.20.3\nmodel_id: {logged.ModelId}\nmodel_size_bytes: 9\n");
        var downloaded = Path.Combine(Home, "downloaded");
        await registry.DownloadAsync(version, downloaded, Ct);
        File.ReadAllText(Path.Combine(downloaded, "MLmodel")).ShouldContain($"\nmodel_id: {logged.ModelId}\n");
        File.ReadAllText(Path.Combine(downloaded, "model.onnx")).ShouldBe("weights-linked");
    }

    private const string EmbeddedModelVersionsTag = "mlflow.modelVersions";

    /// <summary>The tag value a real MLflow 3.9 server set on the LoggedModel after model-versions/create with its model_id.</summary>
    internal static string ObservedModelVersionsTag(string name, string version) => $"[{{\"name\": \"{name}\", \"version\": {version}}}]";

    [Fact]
    public async Task System_metrics_are_sampled_while_the_run_is_open_and_stop_with_it()
    {
        var (tracker, reader) = await PlatformAsync(new Dictionary<string, string> { [$"{TrackingOptions.SectionName}:SystemMetricsInterval"] = "00:00:00.100" });
        await using var run = await tracker.StartRunAsync("system-metrics-exp", cancellationToken: Ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await reader.GetRunAsync(run.RunId, Ct)).Metrics.GetValueOrDefault("system/cpu_utilization_percentage")?.Count is not >= 3
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, Ct);
        }

        await run.EndAsync(RunOutcome.Finished, Ct);
        var atEnd = await reader.GetRunAsync(run.RunId, Ct);
        await Task.Delay(400, Ct);
        var later = await reader.GetRunAsync(run.RunId, Ct);

        var cpu = atEnd.Metrics["system/cpu_utilization_percentage"];
        cpu.Count.ShouldBeGreaterThanOrEqualTo(3);
        cpu.Select(m => m.Step).ShouldBe(Enumerable.Range(0, cpu.Count).Select(i => (long)i));
        cpu.ShouldAllBe(m => m.Value >= 0 && m.Value <= 100);
        atEnd.Metrics["system/system_memory_usage_megabytes"].ShouldAllBe(m => m.Value > 0);
        atEnd.Metrics["system/system_memory_usage_percentage"].ShouldAllBe(m => m.Value > 0 && m.Value <= 100);
        atEnd.Metrics.Keys.ShouldContain("system/disk_usage_percentage");
        atEnd.Metrics.Keys.ShouldContain("system/network_receive_megabytes");
        later.Metrics["system/cpu_utilization_percentage"].Count.ShouldBe(cpu.Count);
    }

    [Fact]
    public async Task By_default_system_metrics_wait_ten_seconds_so_a_short_run_has_none()
    {
        var (tracker, reader) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("system-metrics-default", cancellationToken: Ct);
        await Task.Delay(300, Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        new TrackingOptions().SystemMetricsInterval.ShouldBe(TimeSpan.FromSeconds(10));
        (await reader.GetRunAsync(run.RunId, Ct)).Metrics.Keys.ShouldNotContain(k => k.StartsWith("system/"));
    }

    [Fact]
    public async Task Metrics_can_be_added_to_a_run_after_it_ended_and_an_unknown_run_is_an_error()
    {
        var host = await BuildHostAsync();
        _hosts.Add(host);
        var tracker = host.Services.GetRequiredService<IExperimentTracker>();
        var later = host.Services.GetRequiredService<IFinishedRunMetrics>();
        await using var run = await tracker.StartRunAsync("finished-run-metrics", cancellationToken: Ct);
        await run.LogMetricsAsync([MetricPoint.Now("best_val_acc", 0.9, 3)], Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        // What the live gate does days later: live accuracy at step = reviewed requests.
        await later.LogMetricsAsync(run.RunId, [MetricPoint.Now("live_accuracy", 0.8, 50), MetricPoint.Now("live_accuracy", 0.85, 60)], Ct);

        var snapshot = await host.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(run.RunId, Ct);
        snapshot.Status.ShouldBe("FINISHED");
        snapshot.Metrics["live_accuracy"].Select(m => (m.Step, m.Value)).ShouldBe([(50L, 0.8), (60L, 0.85)]);
        snapshot.Metrics["best_val_acc"].ShouldHaveSingleItem().Value.ShouldBe(0.9);
        await Should.ThrowAsync<DryWetException>(() => later.LogMetricsAsync("0123456789abcdef0123456789abcdef", [MetricPoint.Now("live_accuracy", 1, 1)], Ct));
    }

    [Fact]
    public async Task A_misspelt_tracking_setting_is_an_error_naming_it_and_the_right_key()
    {
        var error = await Should.ThrowAsync<DryWetException>(() =>
            PlatformAsync(new Dictionary<string, string> { [$"{TrackingOptions.SectionName}:SystemMetricInterval"] = "00:00:01" }));

        error.Message.ShouldContain("DryWet:Tracking:SystemMetricInterval");
        error.Message.ShouldContain("SystemMetricsInterval");
    }

    [Theory]
    [InlineData("ten seconds", "not a time span")]
    [InlineData("00:00:00.010", "at least 00:00:00.050")]
    [InlineData("-00:00:01", "at least 00:00:00.050")]
    public async Task A_bad_sampling_interval_is_an_error_naming_the_value(string value, string reason)
    {
        var error = await Should.ThrowAsync<DryWetException>(() =>
            PlatformAsync(new Dictionary<string, string> { [$"{TrackingOptions.SectionName}:SystemMetricsInterval"] = value }));

        error.Message.ShouldContain(value.TrimStart('-'));
        error.Message.ShouldContain(reason);
    }
}

/// <summary>The run-record contract on the embedded adapters, plus the exact MLflow FileStore files.</summary>
public sealed class EmbeddedRunRecordContractTests : RunRecordContractTests
{
    protected override Task<IHost> BuildHostAsync(IReadOnlyDictionary<string, string>? settings = null) =>
        Task.FromResult(PlatformHost.Build(Home, settings: settings));

    [Fact]
    public async Task Datasets_and_logged_models_are_written_in_MLflow_FileStore_layout()
    {
        var (tracker, _) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("layout-inputs", cancellationToken: Ct);
        await run.LogInputsAsync([SampleDataset()], Ct);
        var logged = await run.LogModelAsync(ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "w"), cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        var experimentDir = Path.Combine(Home, "mlruns", run.ExperimentId);
        // file_store.py: dataset id = md5(name + digest), input id = md5(dataset id + run id).
        var datasetId = Md5("dry-wet-data" + "3f2a9c1be0");
        var datasetMeta = File.ReadAllText(Path.Combine(experimentDir, "datasets", datasetId, "meta.yaml"));
        datasetMeta.ShouldContain("digest: '3f2a9c1be0'");
        datasetMeta.ShouldContain("source_type: 's3'");
        var inputMeta = File.ReadAllText(Path.Combine(experimentDir, run.RunId, "inputs", Md5(datasetId + run.RunId), "meta.yaml"));
        inputMeta.ShouldContain($"source_id: {datasetId}");
        inputMeta.ShouldContain("source_type: DATASET");
        inputMeta.ShouldContain("mlflow.data.context: 'training'");
        var modelDir = Path.Combine(experimentDir, "models", logged.ModelId!);
        // A real MLflow 3.9 server (2026-12-06) reads these files with runs/search, runs/get, artifacts/list and
        // logged-models/search answering 200 only when the status is FileStore's integer (2 = READY; "READY" is a 400
        // "Unknown model status") and every outputs/<m-id>/meta.yaml has a tags mapping (without it: 500 KeyError 'tags').
        var modelMeta = File.ReadAllText(Path.Combine(modelDir, "meta.yaml"));
        modelMeta.ShouldContain("\nstatus: 2\n");
        modelMeta.ShouldContain("\nlifecycle_stage: active\n");
        modelMeta.ShouldContain($"\nmodel_id: {logged.ModelId}\n");
        File.ReadAllText(Path.Combine(modelDir, "artifacts", "model.onnx")).ShouldBe("w");
        File.ReadAllText(Path.Combine(experimentDir, run.RunId, "outputs", logged.ModelId!, "meta.yaml")).ShouldBe(
            $"destination_id: {logged.ModelId}\ndestination_type: MODEL_OUTPUT\nsource_id: {logged.ModelId}\nsource_type: RUN_OUTPUT\nstep: 0\ntags: {{}}\n");
    }

    [Fact]
    public async Task LoggedModel_files_of_an_older_DryWet_are_rewritten_as_MLflow_reads_them_before_the_next_run()
    {
        const string modelId = "m-0123456789abcdef0123456789abcdef";
        var experimentDir = Path.Combine(Home, "mlruns", "1");
        var modelMeta = Path.Combine(experimentDir, "models", modelId, "meta.yaml");
        var outputMeta = Path.Combine(experimentDir, "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f", "outputs", modelId, "meta.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(modelMeta)!);
        Directory.CreateDirectory(Path.GetDirectoryName(outputMeta)!);
        // Exactly what the previous DryWet wrote (a real MLflow 3.9 answered 400 and 500 on these).
        File.WriteAllText(modelMeta, $"artifact_location: file:///x\ncreation_timestamp: 1\nexperiment_id: '1'\nlast_updated_timestamp: 2\nmodel_id: {modelId}\nmodel_type: null\nname: 'model'\nsource_run_id: 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\nstatus: READY\nstatus_message: null\n");
        File.WriteAllText(outputMeta, $"destination_id: {modelId}\ndestination_type: MODEL_OUTPUT\nsource_id: 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\nsource_type: RUN_OUTPUT\nstep: 0\n");
        var (tracker, _) = await PlatformAsync();

        await using var run = await tracker.StartRunAsync("after-upgrade", cancellationToken: Ct);

        File.ReadAllText(modelMeta).ShouldBe($"artifact_location: file:///x\ncreation_timestamp: 1\nexperiment_id: '1'\nlast_updated_timestamp: 2\nlifecycle_stage: active\nmodel_id: {modelId}\nmodel_type: null\nname: 'model'\nsource_run_id: 0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\nstatus: 2\nstatus_message: null\n");
        File.ReadAllText(outputMeta).ShouldBe($"destination_id: {modelId}\ndestination_type: MODEL_OUTPUT\nsource_id: {modelId}\nsource_type: RUN_OUTPUT\nstep: 0\ntags: {{}}\n");
        await run.EndAsync(RunOutcome.Finished, Ct);
    }

    private static string Md5(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}

/// <summary>The run-record contract on the MLflow adapters against the fake MLflow 3 server, and the 2.x fallback.</summary>
public sealed class MlflowRunRecordContractTests : RunRecordContractTests
{
    private FakeMlflowServer? _server;

    protected override async Task<IHost> BuildHostAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        _server ??= await FakeMlflowServer.StartAsync();
        return PlatformHost.Build(Home, _server.BaseAddress, settings: settings);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Against_MLflow_2_the_model_is_logged_as_run_artifacts_only_and_nothing_fails()
    {
        _server = await FakeMlflowServer.StartAsync();
        _server.ServerVersion = "2.20.3";
        var (tracker, reader) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("mlflow2-exp", cancellationToken: Ct);

        var logged = await run.LogModelAsync(ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "w2"), cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        logged.ModelId.ShouldBeNull();
        logged.ModelArtifactUri.ShouldBeNull();
        var snapshot = await reader.GetRunAsync(run.RunId, Ct);
        snapshot.Status.ShouldBe("FINISHED");
        snapshot.ArtifactPaths.ShouldContain("model/model.onnx");
        snapshot.Tags["mlflow.log-model.history"].ShouldContain(run.RunId);
        snapshot.LoggedModels.ShouldBeEmpty();
        // One probe, no retries, and no finalize or runs/outputs after the 404.
        _server.Requests.Count(r => r.Path.StartsWith("/api/2.0/mlflow/logged-models")).ShouldBe(1);
        _server.Requests.ShouldNotContain(r => r.Path == "/api/2.0/mlflow/runs/outputs");
    }

    [Fact]
    public async Task Against_an_MLflow_older_than_2_4_the_dataset_input_is_skipped_with_a_warning_not_a_failure()
    {
        _server = await FakeMlflowServer.StartAsync();
        _server.ServerVersion = "2.3.2";
        var (tracker, reader) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("mlflow23-exp", cancellationToken: Ct);

        await run.LogInputsAsync([SampleDataset()], Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        var snapshot = await reader.GetRunAsync(run.RunId, Ct);
        snapshot.Status.ShouldBe("FINISHED");
        snapshot.Datasets.ShouldBeEmpty();
        _server.Requests.Count(r => r.Path == "/api/2.0/mlflow/runs/log-inputs").ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_upload_marks_the_LoggedModel_UPLOAD_FAILED_and_the_error_surfaces()
    {
        var (tracker, _) = await PlatformAsync();
        await using var run = await tracker.StartRunAsync("upload-fails", cancellationToken: Ct);
        var package = ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "w");
        using var http = new HttpClient { BaseAddress = _server!.BaseAddress };
        // The run's copy goes up, then the store dies for the LoggedModel's copy (4 attempts per file with retries).
        _server.FailArtifactUploadsUnder = "/models/";

        await Should.ThrowAsync<DryWetException>(() => run.LogModelAsync(package, cancellationToken: Ct));

        var search = await http.PostAsync("api/2.0/mlflow/logged-models/search",
            new StringContent($"{{\"experiment_ids\": [\"{run.ExperimentId}\"]}}", System.Text.Encoding.UTF8, "application/json"), Ct);
        var models = JsonNode.Parse(await search.Content.ReadAsStringAsync(Ct))!["models"]!.AsArray();
        models.ShouldHaveSingleItem()!["info"]!["status"]!.GetValue<string>().ShouldBe("LOGGED_MODEL_UPLOAD_FAILED");
    }
}
