using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>
/// Create-only and compare-and-swap writes, run against every adapter (embedded, and the MinIO SDK on s3rver with S3's
/// conditional writes): the first writer wins, a stale version tag never overwrites, also when writers really race.
/// </summary>
public abstract class ConditionalWriteContractTests
{
    /// <summary>The adapter under test, with bucket <see cref="S3rverFixture.PreconfiguredBucket"/> existing.</summary>
    protected abstract IObjectStore Store { get; }

    private static string Bucket => S3rverFixture.PreconfiguredBucket;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_only_stores_once_and_then_refuses_without_writing()
    {
        var key = $"create/{Guid.NewGuid():N}.json";

        (await Store.TryCreateAsync(Bucket, key, "first"u8.ToArray(), "application/json", Ct)).ShouldBeTrue();
        (await Store.TryCreateAsync(Bucket, key, "second"u8.ToArray(), "application/json", Ct)).ShouldBeFalse();

        (await Store.ReadAsync(Bucket, key, 1024, Ct)).Content.ShouldBe("first"u8.ToArray());
    }

    [Fact]
    public async Task Of_twelve_racing_creates_exactly_one_wins_and_its_bytes_are_stored()
    {
        var key = $"race/{Guid.NewGuid():N}.json";
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return (Writer: i, Won: await Store.TryCreateAsync(Bucket, key, System.Text.Encoding.UTF8.GetBytes($"writer {i}"), "text/plain", Ct));
        }, Ct)).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        var winner = results.Where(r => r.Won).ShouldHaveSingleItem();
        System.Text.Encoding.UTF8.GetString((await Store.ReadAsync(Bucket, key, 1024, Ct)).Content).ShouldBe($"writer {winner.Writer}");
    }

    [Fact]
    public async Task Replace_succeeds_on_the_tag_it_read_and_refuses_a_stale_tag_or_a_missing_object()
    {
        var key = $"replace/{Guid.NewGuid():N}.json";
        await Store.TryCreateAsync(Bucket, key, "v1"u8.ToArray(), "application/json", Ct);
        var v1 = await Store.ReadAsync(Bucket, key, 1024, Ct);
        v1.Content.ShouldBe("v1"u8.ToArray());

        (await Store.TryReplaceAsync(Bucket, key, "v2"u8.ToArray(), "application/json", v1.ETag, Ct)).ShouldBeTrue();
        var v2 = await Store.ReadAsync(Bucket, key, 1024, Ct);
        v2.Content.ShouldBe("v2"u8.ToArray());
        v2.ETag.ShouldNotBe(v1.ETag);

        (await Store.TryReplaceAsync(Bucket, key, "stale"u8.ToArray(), "application/json", v1.ETag, Ct)).ShouldBeFalse();
        (await Store.ReadAsync(Bucket, key, 1024, Ct)).Content.ShouldBe("v2"u8.ToArray());
        (await Store.TryReplaceAsync(Bucket, $"replace/{Guid.NewGuid():N}.json", "x"u8.ToArray(), "application/json", v2.ETag, Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task Of_eight_racing_replaces_on_one_tag_exactly_one_wins()
    {
        var key = $"cas/{Guid.NewGuid():N}.json";
        await Store.TryCreateAsync(Bucket, key, "base"u8.ToArray(), "application/json", Ct);
        var read = await Store.ReadAsync(Bucket, key, 1024, Ct);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return (Writer: i, Won: await Store.TryReplaceAsync(Bucket, key, System.Text.Encoding.UTF8.GetBytes($"writer {i}"), "text/plain", read.ETag, Ct));
        }, Ct)).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(attempts);

        var winner = results.Where(r => r.Won).ShouldHaveSingleItem();
        System.Text.Encoding.UTF8.GetString((await Store.ReadAsync(Bucket, key, 1024, Ct)).Content).ShouldBe($"writer {winner.Writer}");
    }

    [Fact]
    public async Task Read_names_a_missing_object_and_refuses_one_over_the_size_asked_for()
    {
        var key = $"read/{Guid.NewGuid():N}.json";
        (await Should.ThrowAsync<ObjectNotFoundException>(() => Store.ReadAsync(Bucket, key, 1024, Ct))).Key.ShouldBe(key);

        await Store.UploadAsync(Bucket, key, new byte[2048], "application/octet-stream", Ct);
        var error = await Should.ThrowAsync<DryWetException>(() => Store.ReadAsync(Bucket, key, 1024, Ct));
        error.Message.ShouldContain("2048 bytes");
        error.Message.ShouldContain(key);
    }
}
