using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>
/// The object-store contract, run against every adapter (MinIO SDK on a real S3 server, and the embedded store):
/// what one does, the other does, so the laptop behaves like the platform.
/// </summary>
public abstract class ObjectStoreContractTests : IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("objstore");

    /// <summary>The adapter under test, with bucket <see cref="S3rverFixture.PreconfiguredBucket"/> existing.</summary>
    protected abstract IObjectStore Store { get; }

    protected static string Bucket => S3rverFixture.PreconfiguredBucket;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A label changed twice within a second to content of the same size (dry→wet, two reviewers) must list as a new
    /// version, or a cache keyed on the listing keeps showing the old one: S3's LastModified has whole seconds only.
    /// The rewrite is retried until both versions list within one second (at most 20 tries), so the case is really met.
    /// </summary>
    [Fact]
    public async Task A_same_size_rewrite_within_one_second_lists_as_a_new_version()
    {
        var key = $"versions/{Guid.NewGuid():N}.json";
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await Store.UploadAsync(Bucket, key, "{\"label\":\"dry\"}"u8.ToArray(), "application/json", Ct);
            var before = (await Store.ListAsync(Bucket, key, Ct)).Single();
            await Store.UploadAsync(Bucket, key, "{\"label\":\"wet\"}"u8.ToArray(), "application/json", Ct);
            var after = (await Store.ListAsync(Bucket, key, Ct)).Single();
            after.Size.ShouldBe(before.Size);
            if (after.LastModified.ToUnixTimeSeconds() == before.LastModified.ToUnixTimeSeconds())
            {
                after.ShouldNotBe(before, "the listing does not tell the two versions apart");
                return;
            }
        }

        Assert.Fail("20 rewrites never fell within one second of their first version");
    }

    [Fact]
    public async Task Upload_then_download_round_trips_the_bytes()
    {
        var source = WriteFile("a.bin", RandomBytes(1234));
        var key = $"round-trip/{Guid.NewGuid():N}/a.bin";

        await Store.UploadFileAsync(Bucket, key, source, Ct);
        var target = Path.Combine(_work, "out", "a.bin");
        await Store.DownloadFileAsync(Bucket, key, target, Ct);

        File.ReadAllBytes(target).ShouldBe(File.ReadAllBytes(source));
    }

    [Fact]
    public async Task A_five_megabyte_object_round_trips_intact()
    {
        var bytes = RandomBytes(5 * 1024 * 1024 + 17);
        var source = WriteFile("big.bin", bytes);
        var key = $"big/{Guid.NewGuid():N}.bin";

        await Store.UploadFileAsync(Bucket, key, source, Ct);
        var target = Path.Combine(_work, "big-out.bin");
        await Store.DownloadFileAsync(Bucket, key, target, Ct);

        File.ReadAllBytes(target).ShouldBe(bytes);
    }

    [Fact]
    public async Task Upload_overwrites_an_existing_object()
    {
        var key = $"overwrite/{Guid.NewGuid():N}.txt";
        await Store.UploadFileAsync(Bucket, key, WriteFile("v1.txt", "first"u8.ToArray()), Ct);
        await Store.UploadFileAsync(Bucket, key, WriteFile("v2.txt", "second"u8.ToArray()), Ct);

        var target = Path.Combine(_work, "v.txt");
        await Store.DownloadFileAsync(Bucket, key, target, Ct);

        File.ReadAllText(target).ShouldBe("second");
    }

    [Fact]
    public async Task Bytes_uploaded_from_memory_round_trip_and_replace_an_existing_object()
    {
        var key = $"memory/{Guid.NewGuid():N}.jpg";
        var bytes = RandomBytes(70_000);
        await Store.UploadAsync(Bucket, key, "old"u8.ToArray(), "text/plain", Ct);

        // A slice of a larger buffer, as a pooled upload buffer is: only the slice is stored.
        var pooled = new byte[bytes.Length + 100];
        bytes.CopyTo(pooled, 10);
        await Store.UploadAsync(Bucket, key, pooled.AsMemory(10, bytes.Length), "image/jpeg", Ct);

        var target = Path.Combine(_work, "memory.jpg");
        await Store.DownloadFileAsync(Bucket, key, target, Ct);
        File.ReadAllBytes(target).ShouldBe(bytes);
        (await Store.ListAsync(Bucket, key, Ct)).Single().Size.ShouldBe(bytes.Length);
    }

    [Fact]
    public async Task Upload_from_memory_to_a_missing_bucket_throws_BucketNotFound()
    {
        var error = await Should.ThrowAsync<BucketNotFoundException>(() => Store.UploadAsync("absent-bucket", "x.json", "{}"u8.ToArray(), "application/json", Ct));

        error.Bucket.ShouldBe("absent-bucket");
    }

    [Fact]
    public async Task Delete_removes_the_object_leaves_its_neighbours_and_succeeds_again_when_it_is_gone()
    {
        var prefix = $"delete-{Guid.NewGuid():N}/";
        await Store.UploadAsync(Bucket, prefix + "2026-01-01/a.json", "{}"u8.ToArray(), "application/json", Ct);
        await Store.UploadAsync(Bucket, prefix + "2026-01-02/b.json", "{}"u8.ToArray(), "application/json", Ct);

        await Store.DeleteAsync(Bucket, prefix + "2026-01-01/a.json", Ct);
        await Store.DeleteAsync(Bucket, prefix + "2026-01-01/a.json", Ct);

        (await Store.ListAsync(Bucket, prefix, Ct)).Select(o => o.Key).ShouldBe([prefix + "2026-01-02/b.json"]);
        await Should.ThrowAsync<ObjectNotFoundException>(() => Store.DownloadFileAsync(Bucket, prefix + "2026-01-01/a.json", Path.Combine(_work, "a.json"), Ct));
    }

    [Fact]
    public async Task Delete_in_a_missing_bucket_throws_BucketNotFound_and_a_bad_key_names_the_key()
    {
        await Should.ThrowAsync<BucketNotFoundException>(() => Store.DeleteAsync("absent-bucket", "x.bin", Ct));
        var error = await Should.ThrowAsync<DryWetException>(() => Store.DeleteAsync(Bucket, "../outside.bin", Ct));
        error.Message.ShouldContain("../outside.bin");
    }

    [Fact]
    public async Task Download_of_a_missing_object_throws_ObjectNotFound_and_leaves_no_file()
    {
        var target = Path.Combine(_work, "missing", "x.bin");

        var error = await Should.ThrowAsync<ObjectNotFoundException>(() => Store.DownloadFileAsync(Bucket, "no/such/object.bin", target, Ct));

        error.Key.ShouldBe("no/such/object.bin");
        error.Message.ShouldContain(Bucket);
        File.Exists(target).ShouldBeFalse();
        (Directory.Exists(Path.GetDirectoryName(target)) ? Directory.GetFiles(Path.GetDirectoryName(target)!) : []).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_failed_download_leaves_an_existing_destination_file_untouched()
    {
        var target = WriteFile("keep.bin", "previous content"u8.ToArray());

        await Should.ThrowAsync<ObjectNotFoundException>(() => Store.DownloadFileAsync(Bucket, "absent.bin", target, Ct));

        File.ReadAllText(target).ShouldBe("previous content");
        Directory.GetFiles(_work).ShouldBe([target]);
    }

    [Fact]
    public async Task Download_from_a_missing_bucket_throws_BucketNotFound()
    {
        var error = await Should.ThrowAsync<BucketNotFoundException>(() =>
            Store.DownloadFileAsync("no-such-bucket", "x.bin", Path.Combine(_work, "x.bin"), Ct));

        error.Bucket.ShouldBe("no-such-bucket");
        error.Message.ShouldContain("no-such-bucket");
    }

    [Fact]
    public async Task Upload_to_a_missing_bucket_throws_BucketNotFound()
    {
        var source = WriteFile("u.bin", [1, 2, 3]);

        await Should.ThrowAsync<BucketNotFoundException>(() => Store.UploadFileAsync("absent-bucket", "u.bin", source, Ct));
    }

    [Fact]
    public async Task Upload_of_a_missing_local_file_says_which_file()
    {
        var missing = Path.Combine(_work, "nope.zip");

        var error = await Should.ThrowAsync<DryWetException>(() => Store.UploadFileAsync(Bucket, "nope.zip", missing, Ct));

        error.Message.ShouldContain(missing);
    }

    [Fact]
    public async Task EnsureBucket_creates_a_bucket_once_and_then_succeeds_again()
    {
        var bucket = $"models-{Guid.NewGuid():N}"[..20];
        (await Store.BucketExistsAsync(bucket, Ct)).ShouldBeFalse();

        await Store.EnsureBucketAsync(bucket, Ct);
        await Store.EnsureBucketAsync(bucket, Ct);

        (await Store.BucketExistsAsync(bucket, Ct)).ShouldBeTrue();
        (await Store.ListAsync(bucket, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task List_returns_every_object_under_a_prefix_recursively_in_key_order_with_sizes()
    {
        var prefix = $"list-{Guid.NewGuid():N}/";
        await Store.UploadFileAsync(Bucket, prefix + "b/two.bin", WriteFile("2", RandomBytes(20)), Ct);
        await Store.UploadFileAsync(Bucket, prefix + "a.bin", WriteFile("1", RandomBytes(10)), Ct);
        await Store.UploadFileAsync(Bucket, prefix + "b/c/three.bin", WriteFile("3", RandomBytes(30)), Ct);
        await Store.UploadFileAsync(Bucket, "elsewhere/" + Guid.NewGuid().ToString("N"), WriteFile("4", RandomBytes(5)), Ct);

        var listed = await Store.ListAsync(Bucket, prefix, Ct);

        listed.Select(o => o.Key).ShouldBe([prefix + "a.bin", prefix + "b/c/three.bin", prefix + "b/two.bin"]);
        listed.Select(o => o.Size).ShouldBe([10L, 30L, 20L]);
        listed.ShouldAllBe(o => o.LastModified > DateTimeOffset.UtcNow.AddHours(-1));
    }

    [Fact]
    public async Task List_with_a_whole_key_as_prefix_finds_that_object()
    {
        var key = $"watch-{Guid.NewGuid():N}/data.zip";
        await Store.UploadFileAsync(Bucket, key, WriteFile("z", RandomBytes(12)), Ct);

        (await Store.ListAsync(Bucket, key, Ct)).Select(o => o.Key).ShouldBe([key]);
    }

    [Fact]
    public async Task List_of_a_missing_bucket_throws_BucketNotFound()
    {
        await Should.ThrowAsync<BucketNotFoundException>(() => Store.ListAsync("never-created", "", Ct));
    }

    [Theory]
    [InlineData("../escape.bin")]
    [InlineData("a/../../escape.bin")]
    [InlineData("/absolute.bin")]
    [InlineData("a//b.bin")]
    [InlineData("a\\b.bin")]
    public async Task Keys_that_could_escape_the_bucket_are_rejected_with_the_key_in_the_message(string key)
    {
        var source = WriteFile("k.bin", [1]);

        var error = await Should.ThrowAsync<DryWetException>(() => Store.UploadFileAsync(Bucket, key, source, Ct));

        error.Message.ShouldContain(key);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("a")]
    [InlineData("under_score")]
    public async Task Invalid_bucket_names_are_rejected(string bucket)
    {
        var error = await Should.ThrowAsync<DryWetException>(() => Store.BucketExistsAsync(bucket, Ct));

        error.Message.ShouldContain(bucket);
    }

    public virtual void Dispose() => TestFolders.DeleteQuietly(_work);

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
