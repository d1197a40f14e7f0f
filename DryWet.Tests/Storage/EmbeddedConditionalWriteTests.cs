using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>Conditional writes on the embedded store; two store instances over one folder stand for two processes.</summary>
public sealed class EmbeddedConditionalWriteTests : ConditionalWriteContractTests, IDisposable
{
    private readonly string _root = TestFolders.NewTempDirectory("embedded-conditional");
    private readonly EmbeddedObjectStore[] _stores;
    private int _next;

    public EmbeddedConditionalWriteTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, S3rverFixture.PreconfiguredBucket));
        _stores = [new EmbeddedObjectStore(_root), new EmbeddedObjectStore(_root)];
    }

    /// <summary>Alternates between two instances, so racing writers do not share one object's state.</summary>
    protected override IObjectStore Store => _stores[Interlocked.Increment(ref _next) % 2];

    [Fact]
    public async Task The_lock_lives_outside_the_bucket_so_listings_never_show_it()
    {
        await Store.TryCreateAsync(S3rverFixture.PreconfiguredBucket, "a/b.json", "{}"u8.ToArray(), "application/json", TestContext.Current.CancellationToken);

        (await Store.ListAsync(S3rverFixture.PreconfiguredBucket, cancellationToken: TestContext.Current.CancellationToken)).Select(o => o.Key).ShouldBe(["a/b.json"]);
    }

    public void Dispose() => TestFolders.DeleteQuietly(_root);
}
