using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Training;

/// <summary>
/// Dataset versions from the whole data prefix, on the embedded store and on MinIO (s3rver): the snapshot manifest
/// (every archive and reviewed image with size, SHA-256, class, origin, reviewer and prediction; eval/, dot-folders and
/// stray files left out), its digest as the version, stored at <c>.datasets/&lt;version&gt;.json</c>; the same image in
/// an archive and a review folder counted once with the reviewed label; <c>--dataset</c> reproducing exactly and
/// refusing a changed or deleted object; hostile label entries; a local folder giving the same version.
/// </summary>
public sealed class DatasetSnapshotTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private const string Bucket = "ml-data";
    private readonly string _home = TestFolders.NewTempDirectory("snapshot");
    private IHost _platform = null!;
    private string _prefix = "";

    public static TheoryData<string> Stores() => ["embedded", "minio"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IObjectStore Objects => _platform.Services.GetRequiredService<IObjectStore>();

    private string DataUri => $"s3://{Bucket}/{_prefix}";

    /// <summary>Embedded: the bucket's root, as a user has it; MinIO (shared by the class): a prefix of its own.</summary>
    private void Use(string store)
    {
        _platform = store == "minio" ? PlatformHost.Build(_home, minio: s3.ConnectionString) : PlatformHost.Build(_home);
        _prefix = store == "minio" ? $"snap-{Guid.NewGuid():N}/" : "";
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_manifest_lists_archives_and_reviewed_images_with_hash_class_origin_and_reviewer_and_leaves_out_eval_and_dot_folders(string store)
    {
        Use(store);
        var zip = await PutArchiveAsync(countPerClass: 3);
        var r1 = await PutReviewAsync("r1", "wet", Jpeg(wet: true, 101), "alice", extraJson: ", \"history\": [{\"label\": \"dry\", \"by\": \"bob\"}], \"future_field\": 7");
        var r2 = await PutReviewAsync("r2", "dry", Jpeg(wet: false, 102), "bob");
        await PutAsync("dry/h1.jpg", Jpeg(wet: false, 103)); // filed by hand: no label entry
        await PutAsync("dry/readme.txt", "not an image"u8.ToArray());
        await PutAsync("notes.txt", "a stray file at the root"u8.ToArray());
        await PutAsync("eval/dry/e1.jpg", Jpeg(wet: false, 104));
        await PutAsync(".drywet/watch/state.json", "{}"u8.ToArray());
        using var work = new TempFolder();

        var prepared = await PrepareAsync(work.Path);

        var manifest = prepared.Manifest;
        manifest.Objects.Select(o => o.Key).ShouldBe(["dry-wet-data.zip", "dry/h1.jpg", "dry/r2.jpg", "wet/r1.jpg"]);
        manifest.Objects.Select(o => o.Origin).ShouldBe(["archive", "folder", "review", "review"]);
        manifest.Objects.Select(o => o.Class).ShouldBe([null, "dry", "dry", "wet"]);
        var archive = manifest.Objects[0];
        archive.Sha256.ShouldBe(Sha(File.ReadAllBytes(zip)));
        archive.Size.ShouldBe(new FileInfo(zip).Length);
        var reviewed = manifest.Objects[3];
        reviewed.Sha256.ShouldBe(Sha(r1.Image));
        reviewed.Reviewer.ShouldBe("alice");
        reviewed.PredictionId.ShouldBe("r1");
        reviewed.PredictionKey.ShouldBe("predictions/2026-12-06/r1.json");
        manifest.Objects[1].Reviewer.ShouldBeNull();
        manifest.Version.Length.ShouldBe(32);
        manifest.Version.ShouldBe(manifest.Version.ToLowerInvariant());
        manifest.Source.ShouldBe(DataUri);

        // Stored next to the data, and read back to the same version.
        prepared.ManifestUri.ShouldBe($"s3://{Bucket}/{_prefix}.datasets/{manifest.Version}.json");
        var stored = DatasetManifest.Parse(await ReadAsync($".datasets/{manifest.Version}.json"), "test");
        stored.Version.ShouldBe(manifest.Version);
        stored.Objects.ShouldBe(manifest.Objects);

        // Laid out as class folders: 3 + 2 dry (archive, reviewed, by hand), 3 + 1 wet.
        var dataset = ImageFolderDataset.Open(prepared.Materialized.Directory, work.Path);
        dataset.Classes.ShouldBe(["dry", "wet"]);
        dataset.CountOf(0).ShouldBe(3 + 2);
        dataset.CountOf(1).ShouldBe(3 + 1);
        prepared.Materialized.CountByOrigin(dataset).ShouldBe(new Dictionary<string, int> { ["archive"] = 6, ["review"] = 2, ["folder"] = 1 });
        manifest.Objects[2].Sha256.ShouldBe(Sha(r2.Image));
        manifest.Objects[2].Reviewer.ShouldBe("bob");

        // The same objects give the same version: again, and from a local folder laid out the same way.
        using var again = new TempFolder();
        (await PrepareAsync(again.Path)).Manifest.Version.ShouldBe(manifest.Version);
        using var local = new TempFolder();
        foreach (var o in await Objects.ListAsync(Bucket, _prefix, Ct))
        {
            var target = Path.Combine(local.Path, "copy", o.Key[_prefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await Objects.DownloadFileAsync(Bucket, o.Key, target, Ct);
        }

        using var localWork = new TempFolder();
        var fromFolder = await DatasetPreparation.PrepareAsync(Path.Combine(local.Path, "copy"), null, null, localWork.Path, null, _ => { }, Ct);
        fromFolder.Manifest.Version.ShouldBe(manifest.Version);
        fromFolder.ManifestUri.ShouldBeNull("a local folder is only read");
    }

    [Fact]
    public async Task The_same_image_in_the_archive_and_a_review_folder_counts_once_with_the_reviewed_label()
    {
        Use("embedded");
        var zip = await PutArchiveAsync(countPerClass: 3);
        byte[] fromArchive;
        using (var archive = ZipFile.OpenRead(zip))
        using (var stream = archive.GetEntry("dry/dry_00001.jpg")!.Open())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            fromArchive = copy.ToArray();
        }

        // A reviewer said the archive's "dry" image is wet.
        await PutReviewAsync("corrected", "wet", fromArchive, "carol");
        using var work = new TempFolder();

        var prepared = await PrepareAsync(work.Path);

        var dataset = ImageFolderDataset.Open(prepared.Materialized.Directory, work.Path);
        dataset.CountOf(0).ShouldBe(2);
        dataset.CountOf(1).ShouldBe(4);
        dataset.Images.Count(i => Sha(File.ReadAllBytes(i.Path)) == Sha(fromArchive)).ShouldBe(1);
        dataset.Images.Single(i => Sha(File.ReadAllBytes(i.Path)) == Sha(fromArchive)).Label.ShouldBe(1);
        prepared.Materialized.Duplicates.ShouldBe(1);
        prepared.Materialized.RelabelledByReview.ShouldBe(1);
        prepared.Materialized.CountByOrigin(dataset)["review"].ShouldBe(1);
        prepared.Materialized.CountByOrigin(dataset)["archive"].ShouldBe(5);
    }

    [Fact]
    public async Task A_copy_left_behind_by_a_correction_is_not_part_of_the_dataset()
    {
        Use("embedded");
        await PutArchiveAsync(countPerClass: 2);
        var image = Jpeg(wet: true, 201);
        await PutAsync("dry/moved.jpg", image); // the old place, not yet deleted
        await PutReviewAsync("moved", "wet", image, "dave");
        using var work = new TempFolder();
        var notes = new List<string>();

        var prepared = await DatasetPreparation.PrepareAsync(DataUri, null, Objects, work.Path, null, notes.Add, Ct);

        prepared.Manifest.Objects.Select(o => o.Key).ShouldBe(["dry-wet-data.zip", "wet/moved.jpg"]);
        notes.ShouldContain(n => n.Contains("dry/moved.jpg left out") && n.Contains("wet/moved.jpg"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_dataset_version_is_retrained_on_exactly_and_refused_once_an_object_changed_or_was_deleted(string store)
    {
        Use(store);
        await PutArchiveAsync(countPerClass: 2);
        await PutReviewAsync("a", "wet", Jpeg(wet: true, 301), "alice");
        await PutReviewAsync("b", "dry", Jpeg(wet: false, 302), "alice");
        using var first = new TempFolder();
        var original = await PrepareAsync(first.Path);
        var version = original.Manifest.Version;
        var originalImages = Hashes(original.Materialized.Directory);

        // New labels arrive: the prefix is another version now, but the old one is still exactly reproducible.
        await PutReviewAsync("c", "wet", Jpeg(wet: true, 303), "bob");
        using var latest = new TempFolder();
        (await PrepareAsync(latest.Path)).Manifest.Version.ShouldNotBe(version);
        using var again = new TempFolder();
        var reproduced = await PrepareAsync(again.Path, version);
        reproduced.Manifest.Version.ShouldBe(version);
        reproduced.Manifest.Objects.ShouldBe(original.Manifest.Objects);
        Hashes(reproduced.Materialized.Directory).ShouldBe(originalImages);

        // One changed byte in one object: refused, naming it.
        await PutAsync("dry/b.jpg", Jpeg(wet: false, 999));
        using var changed = new TempFolder();
        var error = await Should.ThrowAsync<DryWetException>(() => PrepareAsync(changed.Path, version));
        error.Message.ShouldContain($"Dataset version {version} cannot be reproduced: object 'dry/b.jpg' changed");

        await Objects.DeleteAsync(Bucket, $"{_prefix}dry/b.jpg", Ct);
        using var deleted = new TempFolder();
        (await Should.ThrowAsync<DryWetException>(() => PrepareAsync(deleted.Path, version))).Message.ShouldContain("object 'dry/b.jpg' was deleted");

        using var unknown = new TempFolder();
        (await Should.ThrowAsync<DryWetException>(() => PrepareAsync(unknown.Path, new string('0', 32))))
            .Message.ShouldContain($"is not stored in {DataUri}");
    }

    [Fact]
    public async Task Hostile_label_entries_never_escape_the_class_folders_and_unreadable_ones_count_as_filed_by_hand()
    {
        Use("embedded");
        await PutArchiveAsync(countPerClass: 2);
        await PutReviewAsync("escape", "wet", Jpeg(wet: true, 401), "mallory", labelOverride: "../../outside");
        await PutAsync("wet/garbled.jpg", Jpeg(wet: true, 402));
        await PutAsync(".manifest/garbled.json", "{ not json"u8.ToArray());
        await PutAsync("dry/huge.jpg", Jpeg(wet: false, 403));
        await PutAsync(".manifest/huge.json", Encoding.UTF8.GetBytes("{\"label\": \"wet\", \"pad\": \"" + new string('x', 70_000) + "\"}"));
        using var work = new TempFolder();
        var notes = new List<string>();

        var prepared = await DatasetPreparation.PrepareAsync(DataUri, null, Objects, work.Path, null, notes.Add, Ct);

        var byKey = prepared.Manifest.Objects.ToDictionary(o => o.Key);
        byKey["wet/escape.jpg"].Class.ShouldBe("wet", "a label that is not a folder name falls back to the folder");
        byKey["wet/escape.jpg"].Origin.ShouldBe("review");
        byKey["wet/garbled.jpg"].Origin.ShouldBe("folder");
        byKey["dry/huge.jpg"].Origin.ShouldBe("folder");
        byKey["dry/huge.jpg"].Class.ShouldBe("dry");
        notes.ShouldContain(n => n.Contains(".manifest/garbled.json is not a readable label entry"));
        Directory.GetDirectories(prepared.Materialized.Directory).Select(Path.GetFileName).Order().ShouldBe(["dry", "wet"]);
    }

    [Fact]
    public async Task A_snapshot_written_as_a_folder_gives_the_same_version_and_a_local_folder_refuses_a_version_it_no_longer_gives()
    {
        Use("embedded");
        await PutArchiveAsync(countPerClass: 2);
        await PutReviewAsync("a", "wet", Jpeg(wet: true, 501), "alice");
        using var work = new TempFolder();
        var version = (await PrepareAsync(work.Path)).Manifest.Version;

        // What a pipeline's download step does with .datasets/<version>.json, then train --data <folder>.
        var source = new ObjectStoreDatasetSource(Objects, Bucket, _prefix, onlyKey: null);
        var manifest = (await source.LoadManifestAsync(version, Ct)).ShouldNotBeNull();
        using var layout = new TempFolder();
        var snapshot = await new DatasetSnapshotBuilder(source).FetchExactlyAsync(manifest, Path.Combine(layout.Path, "fetch"), Path.Combine(layout.Path, "objects"), Ct);
        var folder = Path.Combine(layout.Path, "data");
        await DatasetLayout.WriteAsync(snapshot, folder);
        using var fromFolder = new TempFolder();
        var local = await DatasetPreparation.PrepareAsync(folder, version, null, fromFolder.Path, null, _ => { }, Ct);
        local.Manifest.Version.ShouldBe(version);
        local.Manifest.Objects.Single(o => o.Origin == "review").Reviewer.ShouldBe("alice");

        File.WriteAllBytes(Path.Combine(folder, "wet", "new.jpg"), Jpeg(wet: true, 502));
        using var changed = new TempFolder();
        (await Should.ThrowAsync<DryWetException>(() => DatasetPreparation.PrepareAsync(folder, version, null, changed.Path, null, _ => { }, Ct)))
            .Message.ShouldContain($"Dataset version {version} cannot be reproduced from");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("../../0123456789abcdef0123456789")]
    public void A_dataset_version_that_is_not_32_lower_case_hex_digits_is_refused(string version) =>
        Should.Throw<DryWetException>(() => DatasetManifest.ValidateVersion(version)).Message.ShouldContain("is not a dataset version: expected 32 lower-case hex digits");

    [Fact]
    public void Manifest_keys_name_a_prefix_and_a_version_and_nothing_else_does()
    {
        var v = new string('a', 32);
        DatasetLayout.ParseManifestKey($".datasets/{v}.json").ShouldBe(("", v));
        DatasetLayout.ParseManifestKey($"team/roads/.datasets/{v}.json").ShouldBe(("team/roads/", v));
        DatasetLayout.ParseManifestKey("dry-wet-data.zip").ShouldBeNull();
        DatasetLayout.ParseManifestKey(".datasets/latest.json").ShouldBeNull();
        DatasetLayout.ParseManifestKey($"x.datasets/{v}.json").ShouldBeNull();
    }

    [Fact]
    public void A_hand_edited_manifest_is_refused()
    {
        var manifest = DatasetManifest.Create("s3://ml-data/", [new SnapshotObject("dry/a.jpg", 3, new string('1', 64), "dry", "review", "alice")], DateTimeOffset.UnixEpoch);
        var edited = manifest.ToJson().Replace("\"class\": \"dry\"", "\"class\": \"wet\"", StringComparison.Ordinal);

        Should.Throw<DryWetException>(() => DatasetManifest.Parse(edited, "x.json")).Message.ShouldContain($"says version {manifest.Version}, but its objects give");
    }

    public void Dispose()
    {
        _platform?.Dispose();
        TestFolders.DeleteQuietly(_home);
    }

    private Task<PreparedDataset> PrepareAsync(string work, string? version = null) =>
        DatasetPreparation.PrepareAsync(DataUri, version, Objects, work, null, _ => { }, Ct);

    private async Task<string> PutArchiveAsync(int countPerClass)
    {
        var zip = Path.Combine(_home, $"archive-{Guid.NewGuid():N}.zip");
        SampleDataset.WriteZip(zip, countPerClass, size: 16, seed: 7);
        await Objects.EnsureBucketAsync(Bucket, Ct);
        await Objects.UploadFileAsync(Bucket, $"{_prefix}dry-wet-data.zip", zip, Ct);
        return zip;
    }

    /// <summary>What the Review page writes: the image in its class folder and the label entry (the bucket-relative image key).</summary>
    private async Task<(byte[] Image, string Key)> PutReviewAsync(string id, string label, byte[] image, string reviewer, string extraJson = "", string? labelOverride = null)
    {
        var key = $"{label}/{id}.jpg";
        await PutAsync(key, image);
        var entry = new LabelManifestEntry(id, labelOverride ?? label, label == "wet" ? "dry" : "wet", true, reviewer,
            new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero), _prefix + key, $"predictions/2026-12-06/{id}.json", "dry_wet_model", "1", 0.6f, null);
        var json = JsonSerializer.Serialize(entry, PredictionLogRecord.Json);
        await PutAsync($".manifest/{id}.json", Encoding.UTF8.GetBytes(json[..^1] + extraJson + "}"));
        return (image, key);
    }

    private async Task PutAsync(string key, byte[] content)
    {
        await Objects.EnsureBucketAsync(Bucket, Ct);
        await Objects.UploadAsync(Bucket, _prefix + key, content, "application/octet-stream", Ct);
    }

    private async Task<string> ReadAsync(string key)
    {
        var local = Path.Combine(_home, $"read-{Guid.NewGuid():N}");
        await Objects.DownloadFileAsync(Bucket, _prefix + key, local, Ct);
        return await File.ReadAllTextAsync(local, Ct);
    }

    private static byte[] Jpeg(bool wet, int seed) => SyntheticRoadGenerator.DrawJpeg(wet, 16, seed);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static List<string> Hashes(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(folder, Path.GetDirectoryName(f)!) + ":" + Sha(File.ReadAllBytes(f))).Order(StringComparer.Ordinal).ToList();
}
