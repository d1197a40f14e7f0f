using System.Text.Json;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>
/// The review page's read cache against a real S3 server (s3rver, through the MinIO adapter): an object rewritten
/// within the same second to content of the same size — a label set dry, then wet — is read again, not served stale.
/// </summary>
public sealed class ReadCacheTests(S3rverFixture s3) : IClassFixture<S3rverFixture>
{
    private sealed record Label(string Value);

    private readonly MinioObjectStore _store = s3.CreateStore();

    private static string Bucket => S3rverFixture.PreconfiguredBucket;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_same_size_rewrite_within_one_second_is_read_again()
    {
        var key = $"cache/{Guid.NewGuid():N}.json";
        var reads = 0;
        async Task<Label> Read(string k, CancellationToken ct)
        {
            Interlocked.Increment(ref reads);
            return JsonSerializer.Deserialize<Label>((await _store.ReadAsync(Bucket, k, 1024, ct)).Content)!;
        }

        // Retried until both versions list in the same second, where S3's LastModified cannot tell them apart.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await _store.UploadAsync(Bucket, key, JsonSerializer.SerializeToUtf8Bytes(new Label("dry")), "application/json", Ct);
            var first = (await _store.ListAsync(Bucket, key, Ct)).Single();
            var cache = await ReadCache<Label>.Empty.RefreshAsync([first], Read, parallelism: 1, Ct);
            cache.Get(key)!.Value.ShouldBe(new Label("dry"));

            await _store.UploadAsync(Bucket, key, JsonSerializer.SerializeToUtf8Bytes(new Label("wet")), "application/json", Ct);
            var second = (await _store.ListAsync(Bucket, key, Ct)).Single();
            if (second.LastModified != first.LastModified)
            {
                continue;
            }

            second.Size.ShouldBe(first.Size);
            reads = 0;
            cache = await cache.RefreshAsync([second], Read, parallelism: 1, Ct);
            cache.Get(key)!.Value.ShouldBe(new Label("wet"));
            reads.ShouldBe(1);

            // Unchanged since: served from the cache, not read again.
            cache = await cache.RefreshAsync(await _store.ListAsync(Bucket, key, Ct), Read, parallelism: 1, Ct);
            cache.Get(key)!.Value.ShouldBe(new Label("wet"));
            reads.ShouldBe(1);
            return;
        }

        Assert.Fail("20 rewrites never fell within the second of their first version");
    }
}
