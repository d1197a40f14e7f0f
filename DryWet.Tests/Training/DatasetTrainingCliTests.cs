using System.Text;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Training;

/// <summary>
/// <c>train --data s3://ml-data/</c> and <c>train --dataset &lt;version&gt;</c> as a user runs them (the real trainer
/// process, one quick epoch): the archive plus reviewed images are trained on, the registered version carries
/// <c>dataset.version</c> and <c>dataset.reviewed_images</c> and the run's dataset input has the version as digest —
/// on the embedded tracker/registry and on MLflow (fake) + MinIO (s3rver) alike; a version is retrained on exactly,
/// and refused (exit 2, naming the object) once an object changed.
/// </summary>
public sealed class DatasetTrainingCliTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("dataset-cli");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Embedded_train_on_the_prefix_tags_the_version_then_retrains_exactly_that_version_and_refuses_a_changed_object()
    {
        var home = Path.Combine(_work, "home");
        var env = new Dictionary<string, string> { ["DryWet__Home"] = home };
        using var platform = PlatformHost.Build(home);
        var objects = platform.Services.GetRequiredService<IObjectStore>();
        await PutDatasetAsync(objects, "", reviewed: 3);

        var first = await Train(env, "--data", "s3://ml-data/", "--output", Path.Combine(_work, "pkg1"));

        first.ExitCode.ShouldBe(0, first.StdErr + first.StdOut);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var v1 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).ShouldHaveSingleItem();
        var version = v1.Tags[DatasetTags.Version];
        version.ShouldMatch("^[0-9a-f]{32}$");
        v1.Tags[DatasetTags.ReviewedImages].ShouldBe("3");
        v1.Tags[DatasetTags.Source].ShouldBe("s3://ml-data/");
        first.StdOut.ShouldContain($"Dataset version {version}: 1 archive(s), 3 reviewed image(s)");
        var run = await platform.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(v1.RunId!, Ct);
        run.Tags[DatasetTags.Version].ShouldBe(version);
        var input = run.Datasets.ShouldHaveSingleItem();
        input.Digest.ShouldBe(version);
        input.Profile.ShouldNotBeNull().ShouldContain("\"origins\":{\"archive\":24,\"review\":3,\"folder\":0}");
        input.Source.ShouldContain($"s3://ml-data/.datasets/{version}.json");
        (await objects.ListAsync("ml-data", ".datasets/", Ct)).Select(o => o.Key).ShouldBe([$".datasets/{version}.json"]);

        // More labels arrive; --dataset still trains on exactly the first version.
        await PutReviewAsync(objects, "", "late", "dry", SyntheticRoadGenerator.DrawJpeg(false, 40, 999));
        var again = await Train(env, "--dataset", version, "--output", Path.Combine(_work, "pkg2"), "--promote", "never");
        again.ExitCode.ShouldBe(0, again.StdErr + again.StdOut);
        var v2 = (await registry.ListVersionsAsync("dry_wet_model", Ct)).Single(v => v.Version == "2");
        v2.Tags[DatasetTags.Version].ShouldBe(version);
        v2.Tags[DatasetTags.ReviewedImages].ShouldBe("3");

        // One reviewed image replaced: the version cannot be reproduced; nothing is trained or registered.
        await objects.UploadAsync("ml-data", "wet/r0.jpg", SyntheticRoadGenerator.DrawJpeg(true, 40, 4242), "image/jpeg", Ct);
        var refused = await Train(env, "--dataset", version, "--output", Path.Combine(_work, "pkg3"));
        refused.ExitCode.ShouldBe(2, refused.StdErr);
        refused.StdErr.ShouldContain($"Dataset version {version} cannot be reproduced: object 'wet/r0.jpg' changed");
        (await registry.ListVersionsAsync("dry_wet_model", Ct)).Count.ShouldBe(2);

        var bad = await Train(env, "--dataset", "latest", "--output", Path.Combine(_work, "pkg4"));
        bad.ExitCode.ShouldBe(2, bad.StdErr);
        bad.StdErr.ShouldContain("--dataset 'latest' is not a dataset version");
    }

    [Fact]
    public async Task On_mlflow_and_minio_the_registered_version_and_the_runs_dataset_input_carry_the_dataset_version()
    {
        await using var mlflow = await FakeMlflowServer.StartAsync();
        var home = Path.Combine(_work, "home");
        var env = new Dictionary<string, string>
        {
            ["DryWet__Home"] = home,
            ["ConnectionStrings__mlflow"] = $"Endpoint={mlflow.BaseAddress}",
            ["ConnectionStrings__minio"] = s3.ConnectionString,
            ["DryWet__Mlflow__ReadyPollInterval"] = "00:00:00.050",
        };
        using var platform = PlatformHost.Build(home, mlflow: mlflow.BaseAddress, minio: s3.ConnectionString);
        var objects = platform.Services.GetRequiredService<IObjectStore>();
        var prefix = $"cli-{Guid.NewGuid():N}/";
        await PutDatasetAsync(objects, prefix, reviewed: 2);

        var trained = await Train(env, "--data", $"s3://ml-data/{prefix}", "--output", Path.Combine(_work, "pkg"));

        trained.ExitCode.ShouldBe(0, trained.StdErr + trained.StdOut);
        var registered = (await platform.Services.GetRequiredService<IModelRegistry>().ListVersionsAsync("dry_wet_model", Ct)).ShouldHaveSingleItem();
        var version = registered.Tags[DatasetTags.Version];
        version.ShouldMatch("^[0-9a-f]{32}$");
        registered.Tags[DatasetTags.ReviewedImages].ShouldBe("2");
        var run = await platform.Services.GetRequiredService<ITrackedRunReader>().GetRunAsync(registered.RunId!, Ct);
        var input = run.Datasets.ShouldHaveSingleItem();
        input.Digest.ShouldBe(version);
        input.SourceType.ShouldBe("s3");
        input.Context.ShouldBe("training");
        input.Profile.ShouldNotBeNull().ShouldContain("\"review\":2");
        (await objects.ListAsync("ml-data", $"{prefix}.datasets/", Ct)).Select(o => o.Key).ShouldBe([$"{prefix}.datasets/{version}.json"]);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_work);

    private Task<(int ExitCode, string StdOut, string StdErr)> Train(Dictionary<string, string> env, params string[] args)
    {
        var config = Path.Combine(_work, "config.yaml");
        File.WriteAllText(config, "model:\n  architecture: efficientnet_tiny\ntraining:\n  img_size: 32\n  batch_size: 8\n  epochs: 1\n");
        return TrainerProcess.RunAsync(env, Ct, ["train", "--threads", "1", "--config", config, .. args]);
    }

    /// <summary>The sample archive (12 images per class) and <paramref name="reviewed"/> wet images labelled on the Review page.</summary>
    private async Task PutDatasetAsync(IObjectStore objects, string prefix, int reviewed)
    {
        var zip = Path.Combine(_work, $"data-{Guid.NewGuid():N}.zip");
        SampleDataset.WriteZip(zip, countPerClass: 12, size: 40, SampleDataset.DefaultSeed);
        await objects.EnsureBucketAsync("ml-data", Ct);
        await objects.UploadFileAsync("ml-data", $"{prefix}dry-wet-data.zip", zip, Ct);
        for (var i = 0; i < reviewed; i++)
        {
            await PutReviewAsync(objects, prefix, $"r{i}", "wet", SyntheticRoadGenerator.DrawJpeg(true, 40, 500 + i));
        }
    }

    private static async Task PutReviewAsync(IObjectStore objects, string prefix, string id, string label, byte[] image)
    {
        await objects.UploadAsync("ml-data", $"{prefix}{label}/{id}.jpg", image, "image/jpeg", Ct);
        var entry = new LabelManifestEntry(id, label, label == "wet" ? "dry" : "wet", true, "alice", DateTimeOffset.UtcNow,
            $"{prefix}{label}/{id}.jpg", $"predictions/2026-12-06/{id}.json", "dry_wet_model", "1", 0.55f, null);
        await objects.UploadAsync("ml-data", $"{prefix}.manifest/{id}.json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, PredictionLogRecord.Json)), "application/json", Ct);
    }
}
