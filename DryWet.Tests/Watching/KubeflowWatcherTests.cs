using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Pipelines;
using DryWet.Tests.Platform;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Pipelines;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Watching;

/// <summary>
/// The cluster's watcher (<c>watch --submit-kfp</c>): new data is trained by submitting the training pipeline for that
/// object to Kubeflow Pipelines (the strict fake API: no KFP can run here) and following the run to its end.
/// </summary>
public sealed class KubeflowWatcherTests : IDisposable
{
    private readonly string _home = TestFolders.NewTempDirectory("kfp-watcher");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("SUCCEEDED", WatchDecisionKind.Trained)]
    [InlineData("FAILED", WatchDecisionKind.Failed)]
    public async Task New_data_submits_the_pipeline_for_that_object_and_waits_for_the_run(string terminal, WatchDecisionKind expected)
    {
        await using var kfp = await FakeKubeflowApi.StartAsync();
        kfp.ScriptRunStates("PENDING", "RUNNING", terminal);
        using var platform = PlatformHost.Build(_home);
        var store = platform.Services.GetRequiredService<IObjectStore>();
        var data = new WatchedObject("ml-data", "incoming/roads.zip");
        var zip = Path.Combine(_home, "roads.zip");
        SampleDataset.WriteZip(zip, countPerClass: 2, size: 16, seed: 3);
        await store.EnsureBucketAsync(data.Bucket, Ct);
        await store.UploadFileAsync(data.Bucket, data.Key, zip, Ct);
        var baseAddress = KubeflowPipelinesClient.BaseAddressFor(kfp.Host.ToString());
        using var http = new HttpClient { BaseAddress = baseAddress };
        var launcher = new KubeflowTrainingLauncher(new TrainingPipelineSubmitter(new KubeflowPipelinesClient(http), TextWriter.Null),
            new TrainingPipelineSettings { TrainingImage = "registry.local/dry_wet_train:v2" },
            new TrainingPipelineSubmitter.Options(baseAddress, null, Wait: false, TimeSpan.FromMilliseconds(10), null));
        var work = Path.Combine(_home, "work");
        Directory.CreateDirectory(work);
        var watcher = new DataWatcher(store, platform.Services.GetRequiredService<IModelRegistry>(), "dry_wet_model", launcher, data,
            TimeSpan.Zero, work, NullLogger<DataWatcher>.Instance);

        var decision = await watcher.CheckOnceAsync(Ct);

        decision.Kind.ShouldBe(expected, decision.Message);
        decision.Message.ShouldStartWith($"KFP run run-1 {terminal}");
        var run = kfp.Requests.Single(r => r.Method == "POST" && r.PathAndQuery.StartsWith("/pipeline/apis/v2beta1/runs", StringComparison.Ordinal)).Body!;
        var parameters = run["runtime_config"]!["parameters"]!;
        parameters["source_data_bucket"]!.GetValue<string>().ShouldBe("ml-data");
        parameters["source_data_object"]!.GetValue<string>().ShouldBe("incoming/roads.zip");
        run["pipeline_spec"]!.ToJsonString().ShouldContain("registry.local/dry_wet_train:v2");
        // Waited for the end (Wait is forced on: one run at a time), then remembered next to the data.
        kfp.Requests.Count(r => r.PathAndQuery == "/pipeline/apis/v2beta1/runs/run-1").ShouldBe(3);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);
    }

    /// <summary>
    /// Stop means stop, in the cluster too: a real <c>watch --submit-kfp</c> process that waits on the run it submitted
    /// gets a real SIGTERM (a rollout). It terminates that run on the (fake) KFP API, says so and exits 130; the run ends
    /// CANCELED rather than training on with nobody following it.
    /// </summary>
    [Fact]
    public async Task On_SIGTERM_the_watcher_terminates_the_run_it_waits_on_and_exits_130()
    {
        await using var kfp = await FakeKubeflowApi.StartAsync();
        kfp.ScriptRunStates("RUNNING");
        using (var platform = PlatformHost.Build(_home))
        {
            var store = platform.Services.GetRequiredService<IObjectStore>();
            var zip = Path.Combine(_home, "roads.zip");
            SampleDataset.WriteZip(zip, countPerClass: 2, size: 16, seed: 3);
            await store.EnsureBucketAsync("ml-data", Ct);
            await store.UploadFileAsync("ml-data", "dry-wet-data.zip", zip, Ct);
        }

        var config = Path.Combine(RepositoryPaths.AppHostDirectory, "config", "tiny.yaml");
        // DryWet:Weights as the AppHost passes it to the published watcher: the watcher hands it on to the train step.
        using var watcher = RunningTrainer.Start(new Dictionary<string, string>
            {
                ["DryWet__Home"] = _home,
                ["DryWet__Weights__BaseUrl"] = "http://weights.internal/torchvision/",
                ["DryWet__Weights__Files__efficientnet_tiny"] = "tiny-mirror.pth",
            },
            "watch", "--config", config, "--object", "dry-wet-data.zip", "--debounce", "0s", "--interval", "1s",
            "--submit-kfp", "--kubeflow-host", kfp.Host.ToString());
        await watcher.WaitForOutputAsync("run run-1: RUNNING", TimeSpan.FromMinutes(2), Ct);
        kfp.Terminated.ShouldBeFalse("nothing terminates a run the watcher still follows");
        var spec = kfp.Requests.Single(r => r.Method == "POST" && r.PathAndQuery.StartsWith("/pipeline/apis/v2beta1/runs", StringComparison.Ordinal))
            .Body!["pipeline_spec"]!.ToJsonString();
        spec.ShouldContain("""{"name":"DryWet__Weights__BaseUrl","value":"http://weights.internal/torchvision/"}""");
        spec.ShouldContain("""{"name":"DryWet__Weights__Files__efficientnet_tiny","value":"tiny-mirror.pth"}""");
        await watcher.SignalAsync("TERM", Ct);
        var exit = await watcher.WaitForExitAsync(TimeSpan.FromSeconds(30), Ct);

        exit.ShouldBe(130, $"stdout:\n{watcher.StdOut}\nstderr:\n{watcher.StdErr}");
        kfp.Requests.Count(r => r.Method == "POST" && r.PathAndQuery == "/pipeline/apis/v2beta1/runs/run-1:terminate").ShouldBe(1);
        kfp.Terminated.ShouldBeTrue();
        watcher.StdOut.ShouldContain("Stopped: terminated Kubeflow run run-1");
        watcher.StdErr.ShouldContain("cancelled.");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}
