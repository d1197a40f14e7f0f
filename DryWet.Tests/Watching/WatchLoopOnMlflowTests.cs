using System.IO.Compression;
using DryWet.Core.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.Tests.Training;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Watching;

/// <summary>
/// The loop on the platform's adapters: the real trainer's <c>watch --once</c> against MinIO (s3rver) and MLflow (the
/// fake that answers like MLflow 3.9). Clean data → v1 first; noisy labels → v2 rejected (alias challenger); the same
/// zip again → not retrained (the registry's dataset.sha256); the same images zipped anew → v3, as good as the
/// champion, promoted.
/// </summary>
public sealed class WatchLoopOnMlflowTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("watch-mlflow");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watch_trains_gates_and_skips_known_content_on_MLflow_and_MinIO()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        var store = s3.CreateStore();
        var key = $"loop/{Guid.NewGuid():N}.zip";
        var eval = Path.Combine(_work, "eval");
        SampleDataset.WriteEvaluationFolder(eval, countPerClass: 20, size: 64, SampleDataset.EvaluationSeed);
        foreach (var file in Directory.EnumerateFiles(eval, "*", SearchOption.AllDirectories))
        {
            await store.UploadFileAsync("ml-data", "eval/" + Path.GetRelativePath(eval, file).Replace('\\', '/'), file, Ct);
        }

        var env = new Dictionary<string, string>
        {
            ["DryWet__Home"] = Path.Combine(_work, "home"),
            ["ConnectionStrings__mlflow"] = $"Endpoint={mlflow.BaseAddress}",
            ["ConnectionStrings__minio"] = s3.ConnectionString,
            ["DryWet__Mlflow__ReadyPollInterval"] = "00:00:00.050",
        };
        var config = Path.Combine(_work, "config.yaml");
        await File.WriteAllTextAsync(config, TrainingPipelineTests.CiConfig(epochs: 8).ToYaml(), Ct);
        using var platform = PlatformHost.Build(Path.Combine(_work, "reader"), mlflow.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();

        async Task<string> WatchOnceAsync(string zip)
        {
            await store.UploadFileAsync("ml-data", key, zip, Ct);
            var run = await TrainerProcess.RunAsync(env, Ct, "watch", "--once", "--debounce", "0s", "--threads", "1",
                "--bucket", "ml-data", "--object", key, "--config", config, "--output", Path.Combine(_work, "package"));
            run.ExitCode.ShouldBe(0, run.StdErr + run.StdOut);
            return run.StdOut;
        }

        var clean = Zip("clean", labelNoise: 0);
        (await WatchOnceAsync(clean)).ShouldContain("trained: run ");
        var v1 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).ShouldHaveSingleItem();
        v1.Tags["drywet.promotion"].ShouldBe("first", v1.Description);
        v1.Tags["dataset.source"].ShouldBe($"s3://ml-data/{key}");
        v1.Aliases.ShouldBe(["production"]);

        (await WatchOnceAsync(Zip("noisy", labelNoise: 0.5))).ShouldContain("rejected");
        var v2 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).Single(v => v.Version == "2");
        v2.Aliases.ShouldBe(["challenger"]);
        v2.CurrentStage.ShouldBe("None");
        v2.Tags["drywet.promotion.reason"].ShouldContain("from s3://ml-data/eval/");
        mlflow.RunSummaries.Single(r => r.Tags.GetValueOrDefault("drywet.promotion") == "rejected").Status.ShouldBe("FINISHED");

        (await WatchOnceAsync(clean)).ShouldContain("already_trained: content already registered as dry_wet_model v1");
        (await registry.ListVersionsAsync("dry_wet_model", Ct)).Count.ShouldBe(2);

        (await WatchOnceAsync(Rezip(clean))).ShouldContain("promoted");
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
