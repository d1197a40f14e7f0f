using System.IO.Compression;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Watching;

/// <summary>
/// The loop on the platform's adapters: the watcher and real training runs (in this process, as the laptop's watcher
/// trains) against MinIO (s3rver) and MLflow (the fake that answers like MLflow 3.9). Clean data → v1 first; noisy
/// labels → v2 rejected (alias challenger); the same zip again → not retrained (the registry's dataset.sha256); the
/// same images zipped anew → v3, as good as the champion within 5 points (evaluation.min_improvement -0.05), promoted.
/// </summary>
[Collection(nameof(TorchSharp))]
public sealed class WatchLoopOnMlflowTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("watch-mlflow");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watch_trains_gates_and_skips_known_content_on_MLflow_and_MinIO()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        await using var mlflow = await FakeMlflowServer.StartAsync();
        using var platform = PlatformHost.Build(Path.Combine(_work, "home"), mlflow.BaseAddress, s3.ConnectionString);
        var services = platform.Services;
        var store = services.GetRequiredService<IObjectStore>();
        var registry = services.GetRequiredService<IModelRegistry>();
        var eval = Path.Combine(_work, "eval");
        SampleDataset.WriteEvaluationFolder(eval, countPerClass: 20, size: 64, SampleDataset.EvaluationSeed);
        foreach (var file in Directory.EnumerateFiles(eval, "*", SearchOption.AllDirectories))
        {
            await store.UploadFileAsync("ml-data", "eval/" + Path.GetRelativePath(eval, file).Replace('\\', '/'), file, Ct);
        }

        var data = new WatchedObject("ml-data", $"loop-{Guid.NewGuid():N}/dry-wet-data.zip");
        var progress = new CollectingProgress();
        var config = TrainingPipelineTests.CiConfig(epochs: 8);
        // Retraining on the same images in one process gives the same model on this machine, but nothing promises the
        // same numbers on every CPU's kernels: the rezipped run has to be as good as the champion within 5 points. The
        // noisy run (half the labels at random) learns close to nothing and stays far below that.
        config.Evaluation.MinImprovement = -0.05;
        var launcher = new InProcessTrainingLauncher(
            () => new TrainingRun(services.GetRequiredService<IExperimentTracker>(), registry, store, weights: null, new EfficientNetBackend(progress), progress),
            new TrainingRequest(config, "", Path.Combine(_work, "package"), Register: true));
        var work = Path.Combine(_work, "watch");
        Directory.CreateDirectory(work);
        var watcher = new DataWatcher(store, registry, "dry_wet_model", launcher, data, TimeSpan.Zero, work, NullLogger<DataWatcher>.Instance);

        async Task<WatchDecision> UploadAndCheckAsync(string zip)
        {
            await Task.Delay(1100, Ct); // S3's modification times are whole seconds
            await store.UploadFileAsync(data.Bucket, data.Key, zip, Ct);
            return await watcher.CheckOnceAsync(Ct);
        }

        var clean = Zip("clean", labelNoise: 0);
        var first = await UploadAndCheckAsync(clean);
        first.Kind.ShouldBe(WatchDecisionKind.Trained, first.Message);
        var v1 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).ShouldHaveSingleItem();
        v1.Tags["drywet.promotion"].ShouldBe("first", v1.Description);
        v1.Tags["dataset.source"].ShouldBe(data.ToString());
        v1.Aliases.ShouldBe(["production"]);

        var noisy = await UploadAndCheckAsync(Zip("noisy", labelNoise: 0.5));
        noisy.Message.ShouldContain("rejected");
        var v2 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).Single(v => v.Version == "2");
        v2.Aliases.ShouldBe(["challenger"]);
        v2.CurrentStage.ShouldBe("None");
        v2.Tags["drywet.promotion.reason"].ShouldContain("+ 40 from s3://ml-data/eval/");
        mlflow.RunSummaries.Single(r => r.Tags.GetValueOrDefault("drywet.promotion") == "rejected").Status.ShouldBe("FINISHED");

        var again = await UploadAndCheckAsync(clean);
        again.Kind.ShouldBe(WatchDecisionKind.AlreadyTrained);
        again.Message.ShouldBe("content already registered as dry_wet_model v1");
        (await registry.ListVersionsAsync("dry_wet_model", Ct)).Count.ShouldBe(2);

        var rezipped = await UploadAndCheckAsync(Rezip(clean));
        rezipped.Message.ShouldContain("promoted");
        var v3 = await registry.ResolveAsync("dry_wet_model", cancellationToken: Ct);
        v3!.Version.ShouldBe("3");
        v3.CurrentStage.ShouldBe("Production");
        (await registry.ListVersionsAsync("dry_wet_model", Ct)).Single(v => v.Version == "1").CurrentStage.ShouldBe("Archived");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_work);

    private string Zip(string name, double labelNoise)
    {
        var zip = Path.Combine(_work, name + ".zip");
        SampleDataset.WriteZip(zip, countPerClass: 150, size: 64, seed: 5, labelNoise);
        return zip;
    }

    /// <summary>The same images in a zip with other bytes (compressed): new content to the watcher, the same data to training.</summary>
    private string Rezip(string zip)
    {
        var folder = Path.Combine(_work, "rezip");
        ZipFile.ExtractToDirectory(zip, folder);
        var copy = Path.Combine(_work, "rezipped.zip");
        ZipFile.CreateFromDirectory(folder, copy, CompressionLevel.Optimal, includeBaseDirectory: false);
        return copy;
    }
}
