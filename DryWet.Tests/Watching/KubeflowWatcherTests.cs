using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Pipelines;
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

    public void Dispose() => TestFolders.DeleteQuietly(_home);
}
