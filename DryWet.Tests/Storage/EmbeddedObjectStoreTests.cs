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
}
