using DryWet.Core.Storage;

namespace DryWet.Tests.Storage;

/// <summary>The object-store contract against the embedded (folders on disk) store.</summary>
public sealed class EmbeddedObjectStoreTests : ObjectStoreContractTests
{
    private readonly string _root = TestFolders.NewTempDirectory("embedded-objects");
    private readonly EmbeddedObjectStore _store;

    public EmbeddedObjectStoreTests()
    {
        _store = new EmbeddedObjectStore(_root);
        Directory.CreateDirectory(Path.Combine(_root, Bucket));
    }

    protected override IObjectStore Store => _store;

    public override void Dispose()
    {
        base.Dispose();
        TestFolders.DeleteQuietly(_root);
    }

    /// <summary>
    /// The embedded listing has no ETag: a new version of a key must list a later time than the one it replaced, even
    /// when the file system's clock has not moved on (a coarse timestamp tick; here the old file is dated ahead).
    /// </summary>
    [Theory]
    [InlineData("upload")]
    [InlineData("upload-file")]
    [InlineData("replace")]
    public async Task A_new_version_lists_later_than_the_one_it_replaced_even_within_one_clock_tick(string write)
    {
        var ct = TestContext.Current.CancellationToken;
        const string key = "labels/x.json";
        await _store.UploadAsync(Bucket, key, "{\"label\":\"dry\"}"u8.ToArray(), "application/json", ct);
        var path = Path.Combine(_root, Bucket, "labels", "x.json");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var before = (await _store.ListAsync(Bucket, key, ct)).Single();

        var wet = "{\"label\":\"wet\"}"u8.ToArray();
        switch (write)
        {
            case "upload":
                await _store.UploadAsync(Bucket, key, wet, "application/json", ct);
                break;
            case "upload-file":
                var source = Path.Combine(_root, "wet.json");
                await File.WriteAllBytesAsync(source, wet, ct);
                await _store.UploadFileAsync(Bucket, key, source, ct);
                break;
            default:
                var tag = (await _store.ReadAsync(Bucket, key, 1024, ct)).ETag;
                (await _store.TryReplaceAsync(Bucket, key, wet, "application/json", tag, ct)).ShouldBeTrue();
                break;
        }

        var after = (await _store.ListAsync(Bucket, key, ct)).Single();
        after.Size.ShouldBe(before.Size);
        after.LastModified.ShouldBeGreaterThan(before.LastModified);
        (await _store.ReadAsync(Bucket, key, 1024, ct)).Content.ShouldBe(wet);
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_bucket_folder_and_temp_files_are_never_listed()
    {
        var source = Path.Combine(_root, "src.txt");
        File.WriteAllText(source, "hello");
        await _store.UploadFileAsync(Bucket, "data/x.txt", source, TestContext.Current.CancellationToken);
        File.WriteAllText(Path.Combine(_root, Bucket, "data", $".y.txt.tmp-{Guid.NewGuid():N}"), "partial");

        File.ReadAllText(Path.Combine(_root, Bucket, "data", "x.txt")).ShouldBe("hello");
        (await _store.ListAsync(Bucket, "data/", TestContext.Current.CancellationToken)).Select(o => o.Key).ShouldBe(["data/x.txt"]);
    }

    [Fact]
    public async Task Deleting_the_last_object_of_a_folder_removes_the_empty_folders_but_not_the_bucket()
    {
        var ct = TestContext.Current.CancellationToken;
        await _store.UploadAsync(Bucket, "predictions/2026-01-01/a.jpg", new byte[] { 1, 2, 3 }, "image/jpeg", ct);
        await _store.UploadAsync(Bucket, "predictions/2026-01-01/a.json", "{}"u8.ToArray(), "application/json", ct);

        await _store.DeleteAsync(Bucket, "predictions/2026-01-01/a.jpg", ct);
        Directory.Exists(Path.Combine(_root, Bucket, "predictions", "2026-01-01")).ShouldBeTrue("a.json is still there");
        await _store.DeleteAsync(Bucket, "predictions/2026-01-01/a.json", ct);

        Directory.Exists(Path.Combine(_root, Bucket, "predictions")).ShouldBeFalse();
        Directory.Exists(Path.Combine(_root, Bucket)).ShouldBeTrue();
    }

    /// <summary>
    /// A delete removes its folder when that empties it; an upload into the same folder at the same moment must still
    /// land (a reviewer's label moves an image between class folders while another moves one back: CI saw the upload
    /// fail with DirectoryNotFoundException). Two writers, one folder, many rounds of put-then-delete against a put.
    /// </summary>
    [Fact]
    public async Task An_upload_into_a_folder_that_a_concurrent_delete_empties_still_lands()
    {
        var ct = TestContext.Current.CancellationToken;
        var content = new byte[] { 1, 2, 3 };
        // Four writers, each putting and deleting its own keys in one folder: the folder empties and is removed again and
        // again while the others create files in it.
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 1500; i++)
            {
                var key = $"wet/{w}-{i}.jpg";
                await _store.UploadAsync(Bucket, key, content, "image/jpeg", ct);
                await _store.DeleteAsync(Bucket, key, ct);
            }
        }, ct));
        await Task.WhenAll(writers);

        await _store.UploadAsync(Bucket, "wet/last.jpg", content, "image/jpeg", ct);
        (await _store.ListAsync(Bucket, "wet/", ct)).Select(o => o.Key).ShouldBe(["wet/last.jpg"]);
        Directory.GetFiles(Path.Combine(_root, Bucket, "wet")).Select(Path.GetFileName).ShouldBe(["last.jpg"], "no temp file left behind");
    }
}
