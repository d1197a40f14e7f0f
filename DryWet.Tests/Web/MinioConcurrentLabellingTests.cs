using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>Concurrent labelling through the MinIO adapter on s3rver (with S3's conditional writes): a client per reviewer.</summary>
public sealed class MinioConcurrentLabellingTests(S3rverFixture s3) : ConcurrentLabellingTests, IClassFixture<S3rverFixture>, IAsyncLifetime
{
    protected override IObjectStore NewStore() => s3.CreateStore();

    /// <summary>
    /// s3rver (not S3 or MinIO) removes a folder on disk when a delete empties it, racing a concurrent PUT into that folder
    /// (which then fails with 500): one object kept in each class folder keeps the folders there.
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        var store = NewStore();
        foreach (var label in TrainingLabelWriter.Labels)
        {
            await store.UploadAsync(PredictionLog.DataBucket, $"{label}/s3rver-keep.txt", "keeps the folder"u8.ToArray(), "text/plain",
                TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
