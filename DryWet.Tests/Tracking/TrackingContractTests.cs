using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>
/// The tracking + registry contract, run against the MLflow adapters (on the fake MLflow server) and the embedded
/// adapters, both obtained through AddDryWetPlatform as trainer and serving get them.
/// </summary>
public abstract class TrackingContractTests : IAsyncLifetime
{
    protected readonly string Home = TestFolders.NewTempDirectory("tracking-home");
    private IHost? _host;

    protected IExperimentTracker Tracker => _host!.Services.GetRequiredService<IExperimentTracker>();
    protected ITrackedRunReader Reader => _host!.Services.GetRequiredService<ITrackedRunReader>();
    protected IModelRegistry Registry => _host!.Services.GetRequiredService<IModelRegistry>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IHost> CreateHostAsync();

    public async ValueTask InitializeAsync() => _host = await CreateHostAsync();

    public virtual ValueTask DisposeAsync()
    {
        _host?.Dispose();
        TestFolders.DeleteQuietly(Home);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_run_records_params_tags_and_metric_histories_by_step_and_ends_FINISHED()
    {
        await using var run = await Tracker.StartRunAsync("dry-wet-classification", "contract-run", new Dictionary<string, string> { ["classes"] = "dry,wet" }, Ct);
        await run.LogParamsAsync(new Dictionary<string, string> { ["img_size"] = "224", ["optimizer"] = "AdamW" }, Ct);
        await run.LogMetricsAsync([MetricPoint.Now("train_loss", 0.9, 1), MetricPoint.Now("train_loss", 0.5, 2), MetricPoint.Now("val_acc", 0.75, 1)], Ct);
        await run.SetTagsAsync(new Dictionary<string, string> { ["git_commit"] = "abc123" }, Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        var snapshot = await Reader.GetRunAsync(run.RunId, Ct);

        snapshot.Status.ShouldBe("FINISHED");
        snapshot.EndTime.ShouldNotBeNull();
        snapshot.RunName.ShouldBe("contract-run");
        snapshot.Params.ShouldBe(new Dictionary<string, string> { ["img_size"] = "224", ["optimizer"] = "AdamW" }, ignoreOrder: true);
        snapshot.Tags["classes"].ShouldBe("dry,wet");
        snapshot.Tags["git_commit"].ShouldBe("abc123");
        snapshot.Tags["mlflow.runName"].ShouldBe("contract-run");
        snapshot.Metrics["train_loss"].Select(m => (m.Step, m.Value)).ShouldBe([(1L, 0.9), (2L, 0.5)]);
        snapshot.Metrics["val_acc"].Single().Value.ShouldBe(0.75);
    }

    [Fact]
    public async Task Runs_of_one_experiment_name_share_one_experiment()
    {
        await using var first = await Tracker.StartRunAsync("shared-exp", cancellationToken: Ct);
        await using var second = await Tracker.StartRunAsync("shared-exp", cancellationToken: Ct);

        second.ExperimentId.ShouldBe(first.ExperimentId);
        second.RunId.ShouldNotBe(first.RunId);
    }

    [Fact]
    public async Task Disposing_a_run_that_was_not_ended_marks_it_FAILED()
    {
        string runId;
        await using (var run = await Tracker.StartRunAsync("dispose-exp", cancellationToken: Ct))
        {
            runId = run.RunId;
        }

        (await Reader.GetRunAsync(runId, Ct)).Status.ShouldBe("FAILED");
    }

    [Fact]
    public async Task Params_are_write_once_a_changed_value_is_rejected_naming_the_param()
    {
        await using var run = await Tracker.StartRunAsync("params-exp", cancellationToken: Ct);
        await run.LogParamsAsync(new Dictionary<string, string> { ["epochs"] = "10" }, Ct);
        await run.LogParamsAsync(new Dictionary<string, string> { ["epochs"] = "10" }, Ct);

        var error = await Should.ThrowAsync<DryWetException>(() => run.LogParamsAsync(new Dictionary<string, string> { ["epochs"] = "20" }, Ct));

        error.Message.ShouldContain("epochs");
    }

    [Fact]
    public async Task Fifteen_hundred_metric_points_are_all_kept()
    {
        await using var run = await Tracker.StartRunAsync("many-metrics", cancellationToken: Ct);
        var start = DateTimeOffset.UtcNow;
        await run.LogMetricsAsync(Enumerable.Range(0, 1500).Select(i => new MetricPoint("loss", 1.0 / (i + 1), i, start.AddMilliseconds(i))), Ct);

        var snapshot = await Reader.GetRunAsync(run.RunId, Ct);

        snapshot.Metrics["loss"].Count.ShouldBe(1500);
        snapshot.Metrics["loss"][1499].Step.ShouldBe(1499);
    }

    [Theory]
    [InlineData("bad:key")]
    [InlineData("../escape")]
    public async Task An_invalid_metric_name_is_rejected_with_the_name_in_the_message(string key)
    {
        await using var run = await Tracker.StartRunAsync("bad-keys", cancellationToken: Ct);

        var error = await Should.ThrowAsync<DryWetException>(() => run.LogMetricsAsync([MetricPoint.Now(key, 1)], Ct));

        error.Message.ShouldContain(key);
    }

    [Fact]
    public async Task Artifacts_and_the_model_are_logged_under_the_run_and_the_model_is_recorded_as_a_model()
    {
        var package = ModelFixtures.WritePackage(Path.Combine(Home, "pkg"), "weights-1");
        var report = Path.Combine(Home, "classification_report.txt");
        File.WriteAllText(report, "precision recall");
        await using var run = await Tracker.StartRunAsync("artifacts-exp", cancellationToken: Ct);

        await run.LogArtifactAsync(report, "reports", Ct);
        await run.LogModelAsync(package, cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);

        var snapshot = await Reader.GetRunAsync(run.RunId, Ct);
        snapshot.ArtifactPaths.ShouldBe(["model/MLmodel", "model/labels.json", "model/model.onnx", "reports/classification_report.txt"]);
        snapshot.Tags["mlflow.log-model.history"].ShouldContain("\"artifact_path\":\"model\"");
        snapshot.Tags["mlflow.log-model.history"].ShouldContain(run.RunId);
    }

    [Fact]
    public async Task Register_promote_resolve_and_download_a_version_then_a_second_version_archives_the_first()
    {
        var v1 = await TrainAndRegisterAsync("weights-1");
        var promoted1 = await Registry.PromoteAsync("dry_wet_model", v1.Version, cancellationToken: Ct);
        var v2 = await TrainAndRegisterAsync("weights-2");
        await Registry.PromoteAsync("dry_wet_model", v2.Version, cancellationToken: Ct);
        await Registry.UpdateDescriptionAsync("dry_wet_model", v2.Version, "Dry/Wet road classifier trained with validation accuracy: 0.9123", Ct);

        var resolved = await Registry.ResolveAsync("dry_wet_model", cancellationToken: Ct);

        v1.Status.ShouldBe("READY");
        v1.Version.ShouldBe("1");
        promoted1.CurrentStage.ShouldBe("Production");
        resolved.ShouldNotBeNull();
        resolved.Version.ShouldBe("2");
        resolved.CurrentStage.ShouldBe("Production");
        resolved.Aliases.ShouldContain("production");
        resolved.Description.ShouldBe("Dry/Wet road classifier trained with validation accuracy: 0.9123");
        resolved.CreationTimestamp.ShouldBeGreaterThan(1_600_000_000_000);
        var target = Path.Combine(Home, "cache", "dry_wet_model", "2");
        await Registry.DownloadAsync(resolved, target, Ct);
        File.ReadAllText(Path.Combine(target, "model.onnx")).ShouldBe("weights-2");
        File.Exists(Path.Combine(target, "MLmodel")).ShouldBeTrue();
        // The first version was archived by the second promotion (archive_existing_versions).
        var archived = await Registry.ResolveAsync("dry_wet_model", alias: "no-such-alias", fallbackStage: "Archived", cancellationToken: Ct);
        archived.ShouldNotBeNull();
        archived.Version.ShouldBe(v1.Version);
        archived.Aliases.ShouldBeEmpty();
    }

    [Fact]
    public async Task Resolve_falls_back_to_the_Production_stage_when_the_alias_is_missing()
    {
        var v1 = await TrainAndRegisterAsync("weights-1");
        await Registry.PromoteAsync("dry_wet_model", v1.Version, alias: "champion", cancellationToken: Ct);

        var resolved = await Registry.ResolveAsync("dry_wet_model", alias: "production", cancellationToken: Ct);

        resolved.ShouldNotBeNull();
        resolved.Version.ShouldBe(v1.Version);
        resolved.CurrentStage.ShouldBe("Production");
    }

    [Fact]
    public async Task Resolve_returns_null_for_a_model_that_is_not_registered_or_not_promoted()
    {
        (await Registry.ResolveAsync("never_registered", cancellationToken: Ct)).ShouldBeNull();
        await TrainAndRegisterAsync("weights-1");
        (await Registry.ResolveAsync("dry_wet_model", cancellationToken: Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Concurrent_registrations_get_distinct_version_numbers()
    {
        var registered = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => TrainAndRegisterAsync($"weights-{i}")));

        registered.Select(v => v.Version).Order().ShouldBe(["1", "2", "3", "4"]);
    }

    protected async Task<ModelVersion> TrainAndRegisterAsync(string weights)
    {
        var package = ModelFixtures.WritePackage(Path.Combine(Home, $"pkg-{Guid.NewGuid():N}"), weights);
        await using var run = await Tracker.StartRunAsync("registry-exp", cancellationToken: Ct);
        await run.LogModelAsync(package, cancellationToken: Ct);
        await run.EndAsync(RunOutcome.Finished, Ct);
        return await Registry.RegisterAsync("dry_wet_model", run.ArtifactUri + "/model", run.RunId, cancellationToken: Ct);
    }
}
