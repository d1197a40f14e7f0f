using System.IO.Compression;
using DryWet.Core;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Storage;

/// <summary>The trainer's download and upload steps, on MinIO (s3rver) and through the real CLI process.</summary>
public sealed class DatasetAndModelTransferTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("transfer");

    /// <summary>The zips and packages a test uploads, outside <see cref="_work"/> (whose contents the tests check).</summary>
    private readonly string _sources = TestFolders.NewTempDirectory("transfer-sources");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Download_extracts_the_dataset_zip_into_class_folders_even_when_zipped_under_a_top_folder()
    {
        var store = s3.CreateStore();
        var key = $"datasets/{Guid.NewGuid():N}.zip";
        await store.UploadFileAsync(S3rverFixture.PreconfiguredBucket, key,
            Zip(("dry-wet-data/dry/a.jpg", "A"), ("dry-wet-data/wet/b.jpg", "B"), ("dry-wet-data/wet/c.jpg", "C")), Ct);

        var result = await DatasetDownloader.DownloadAsync(store, S3rverFixture.PreconfiguredBucket, key, Path.Combine(_work, "data"), cancellationToken: Ct);

        result.Classes.ShouldBe(["dry", "wet"]);
        File.ReadAllText(Path.Combine(_work, "data", "wet", "c.jpg")).ShouldBe("C");
        Directory.GetFiles(_work).ShouldBeEmpty(); // the downloaded zip is not left behind
    }

    [Fact]
    public async Task Download_of_a_missing_dataset_says_which_object_and_creates_no_folder()
    {
        var output = Path.Combine(_work, "data");

        var error = await Should.ThrowAsync<ObjectNotFoundException>(() =>
            DatasetDownloader.DownloadAsync(s3.CreateStore(), S3rverFixture.PreconfiguredBucket, "absent.zip", output, cancellationToken: Ct));

        error.Message.ShouldContain("absent.zip");
        Directory.Exists(output).ShouldBeFalse();
        Directory.GetFileSystemEntries(_work).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_dataset_zip_with_a_path_escaping_entry_is_refused_and_nothing_is_extracted()
    {
        var store = s3.CreateStore();
        var key = $"datasets/{Guid.NewGuid():N}.zip";
        await store.UploadFileAsync(S3rverFixture.PreconfiguredBucket, key, Zip(("dry/a.jpg", "A"), ("../../evil.txt", "x")), Ct);

        await Should.ThrowAsync<DryWetException>(() =>
            DatasetDownloader.DownloadAsync(store, S3rverFixture.PreconfiguredBucket, key, Path.Combine(_work, "data"), cancellationToken: Ct));

        Directory.Exists(Path.Combine(_work, "data")).ShouldBeFalse();
        File.Exists(Path.Combine(Path.GetDirectoryName(_work)!, "evil.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task Two_uploads_on_the_same_day_from_different_runs_land_in_different_folders()
    {
        var store = s3.CreateStore();
        var day = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var bucket = $"ml-models-{Guid.NewGuid():N}"[..24];

        var first = await ModelUploader.UploadAsync(store, Package("run1"), bucket, "dry-wet-road-classifier", null, day, cancellationToken: Ct);
        var second = await ModelUploader.UploadAsync(store, Package("run2"), bucket, "dry-wet-road-classifier", null, day.AddHours(5), cancellationToken: Ct);

        first.Prefix.ShouldBe("dry-wet-road-classifier-2026-11-27-run1");
        second.Prefix.ShouldBe("dry-wet-road-classifier-2026-11-27-run2");
        var keys = (await store.ListAsync(bucket, cancellationToken: Ct)).Select(o => o.Key).ToList();
        keys.ShouldContain("dry-wet-road-classifier-2026-11-27-run1/model.onnx");
        keys.ShouldContain("dry-wet-road-classifier-2026-11-27-run2/model.onnx");
        keys.Count.ShouldBe(2 * first.Files);
    }

    [Fact]
    public async Task Upload_without_any_run_id_is_refused_so_folders_never_collide()
    {
        var error = await Should.ThrowAsync<DryWetException>(() =>
            ModelUploader.UploadAsync(s3.CreateStore(), Package(null), "ml-models", "dry-wet-road-classifier", null, DateTimeOffset.UtcNow, cancellationToken: Ct));

        error.Message.ShouldContain("--run-id");
    }

    [Fact]
    public async Task The_download_command_fetches_from_MinIO_when_ConnectionStrings_minio_is_set()
    {
        var key = $"datasets/{Guid.NewGuid():N}.zip";
        await s3.CreateStore().UploadFileAsync(S3rverFixture.PreconfiguredBucket, key, Zip(("dry/a.jpg", "A"), ("wet/b.jpg", "B")), Ct);
        var output = Path.Combine(_work, "cli-data");

        var (exit, stdout, stderr) = await TrainerProcess.RunAsync(
            new Dictionary<string, string> { ["ConnectionStrings__minio"] = s3.ConnectionString, ["DryWet__Home"] = Path.Combine(_work, "home") }, Ct,
            "download", "--bucket", "ml-data", "--object", key, "--output", output);

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("classes: dry, wet");
        stderr.ShouldContain("MinIO at");
        File.ReadAllText(Path.Combine(output, "dry", "a.jpg")).ShouldBe("A");
    }

    [Fact]
    public async Task The_upload_command_exits_non_zero_naming_the_store_when_MinIO_is_down()
    {
        var deadPort = S3rverFixture.FreePort();

        var (exit, _, stderr) = await TrainerProcess.RunAsync(
            new Dictionary<string, string> { ["ConnectionStrings__minio"] = $"Endpoint=http://127.0.0.1:{deadPort};AccessKey=a;SecretKey=b" }, Ct,
            "upload", "--model", Package("run9"), "--bucket", "ml-models");

        exit.ShouldBe(1, stderr);
        stderr.ShouldContain($"127.0.0.1:{deadPort}");
    }

    public void Dispose()
    {
        TestFolders.DeleteQuietly(_work);
        TestFolders.DeleteQuietly(_sources);
    }

    private string Zip(params (string Name, string Content)[] entries)
    {
        var path = Path.Combine(_sources, $"src-{Guid.NewGuid():N}.zip");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (name, content) in entries)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(content);
            }
        }

        return path;
    }

    private string Package(string? runId)
    {
        var dir = Path.Combine(_sources, $"pkg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "MLmodel"), "artifact_path: model\nflavors:\n  onnx:\n    data: model.onnx\n" + (runId is null ? "" : $"run_id: {runId}\n"));
        File.WriteAllText(Path.Combine(dir, "model.onnx"), "weights");
        return dir;
    }
}
