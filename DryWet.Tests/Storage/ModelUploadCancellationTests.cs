using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Storage;

/// <summary><c>upload</c> cancelled half-way (Ctrl+C, SIGTERM) leaves no half package in the bucket, and never deletes an earlier complete upload.</summary>
public sealed class ModelUploadCancellationTests : IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("upload-cancel");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_upload_cancelled_after_its_first_file_removes_what_it_uploaded()
    {
        var store = new EmbeddedObjectStore(Path.Combine(_work, "objects"));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        await Should.ThrowAsync<OperationCanceledException>(() => ModelUploader.UploadAsync(store, Package(), "ml-models", "dry-wet-road-classifier",
            "run1", DateTimeOffset.UtcNow, _ => cancel.Cancel(), cancel.Token));

        (await store.ListAsync("ml-models", "", Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_repeated_upload_cancelled_half_way_keeps_the_complete_earlier_one()
    {
        var store = new EmbeddedObjectStore(Path.Combine(_work, "objects"));
        var now = DateTimeOffset.UtcNow;
        var first = await ModelUploader.UploadAsync(store, Package(), "ml-models", "dry-wet-road-classifier", "run1", now, cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        await Should.ThrowAsync<OperationCanceledException>(() => ModelUploader.UploadAsync(store, Package(), "ml-models", "dry-wet-road-classifier",
            "run1", now, _ => cancel.Cancel(), cancel.Token));

        (await store.ListAsync("ml-models", "", Ct)).Select(o => o.Key).Order(StringComparer.Ordinal)
            .ShouldBe([$"{first.Prefix}/MLmodel", $"{first.Prefix}/labels.json", $"{first.Prefix}/model.onnx"]);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_work);

    private string Package()
    {
        var dir = Path.Combine(_work, $"pkg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "MLmodel"), "artifact_path: model\nflavors:\n  onnx:\n    data: model.onnx\n");
        File.WriteAllText(Path.Combine(dir, "model.onnx"), "weights");
        File.WriteAllText(Path.Combine(dir, "labels.json"), "[\"dry\", \"wet\"]");
        return dir;
    }
}
