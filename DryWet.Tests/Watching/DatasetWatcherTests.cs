using System.Text;
using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Feedback;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Watching;

/// <summary>
/// The watcher following the whole dataset (<c>watch</c> without <c>--object</c>) on the embedded store and MinIO
/// (s3rver), with a launcher that records which dataset version it was asked to train: a new archive trains once it
/// holds still; reviewed labels wait for <c>DryWet:Watcher:MinNewLabels</c>; a changed archive or a deleted object is a
/// new version, a same-size one replaced within one second too; a version already trained or registered is skipped; a
/// failed one is not retried; state survives a restart; the version it launches is stored and reproducible.
/// </summary>
public sealed class DatasetWatcherTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromSeconds(10);
    private const int MinNewLabels = 5;
    private readonly WatcherTestBed _bed = new("dataset-watcher", datasets: true);
    private WatchedDataset _data = new("ml-data", "");

    public static TheoryData<string> Stores() => ["embedded", "minio"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IObjectStore Objects => _bed.Objects;

    private string Prefix => DatasetManifest.PrefixFolder(_data.Prefix);

    private void Use(string store)
    {
        _bed.Use(store, s3);
        _data = store == "minio" ? new("ml-data", $"dataset-watch-{Guid.NewGuid():N}") : _data;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_dataset_is_trained_when_it_holds_still_and_reviewed_labels_wait_for_min_new_labels(string store)
    {
        Use(store);
        var watcher = NewWatcher();
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.NoData);
        await Objects.EnsureBucketAsync("ml-data", Ct);
        await PutAsync("eval/dry/e.jpg", Jpeg(false, 1)); // not training data
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.NoData);

        await PutArchiveAsync(seed: 1);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(Debounce);
        var first = await watcher.CheckOnceAsync(Ct);
        first.Kind.ShouldBe(WatchDecisionKind.Trained);
        _bed.Launcher.Calls.ShouldBe([first.Sha256!]);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);
        // The version it launched is stored next to the data: the run trains on exactly it.
        var stored = await new ObjectStoreDatasetSource(Objects, "ml-data", _data.Prefix, null).LoadManifestAsync(first.Sha256!, Ct);
        stored.ShouldNotBeNull().Objects.Select(o => o.Key).ShouldBe(["dry-wet-data.zip"]);

        // Fewer reviewed labels than MinNewLabels: counted, not trained, and the state says so after a restart.
        for (var i = 0; i < MinNewLabels - 1; i++)
        {
            await PutReviewAsync($"id{i}", i % 2 == 0 ? "wet" : "dry", Jpeg(i % 2 == 0, 100 + i));
        }

        await SettleAsync(watcher);
        var waiting = await watcher.CheckOnceAsync(Ct);
        waiting.Kind.ShouldBe(WatchDecisionKind.AwaitingLabels);
        waiting.Message.ShouldStartWith($"{MinNewLabels - 1} of {MinNewLabels} new labels since dataset version {first.Sha256}");
        waiting.Name.ShouldBe("awaiting_labels");
        (await NewWatcher().CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);

        // The label that reaches the threshold starts a run on the dataset with all of them.
        await PutReviewAsync("last", "wet", Jpeg(true, 200));
        await SettleAsync(watcher);
        var withLabels = await watcher.CheckOnceAsync(Ct);
        withLabels.Kind.ShouldBe(WatchDecisionKind.Trained);
        _bed.Launcher.Calls.Count.ShouldBe(2);
        var trainedOn = await new ObjectStoreDatasetSource(Objects, "ml-data", _data.Prefix, null).LoadManifestAsync(withLabels.Sha256!, Ct);
        trainedOn.ShouldNotBeNull().ReviewedObjects.ShouldBe(MinNewLabels);

        // One label deleted: below the threshold again. A replaced archive trains whatever the labels.
        await Objects.DeleteAsync("ml-data", $"{Prefix}.manifest/last.json", Ct);
        await Objects.DeleteAsync("ml-data", $"{Prefix}wet/last.jpg", Ct);
        await SettleAsync(watcher);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.AwaitingLabels);
        await PutArchiveAsync(seed: 2);
        await SettleAsync(watcher);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Trained);
        _bed.Launcher.Calls.Count.ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_version_already_trained_or_registered_is_skipped_and_a_failed_one_is_retried_only_on_new_data(string store)
    {
        Use(store);
        var watcher = NewWatcher();
        await PutArchiveAsync(seed: 3);
        _bed.Launcher.FailNext = "out of memory";
        await SettleAsync(watcher);
        var failed = await watcher.CheckOnceAsync(Ct);
        failed.Kind.ShouldBe(WatchDecisionKind.Failed);

        // Same bytes uploaded again (new time): the same version, not retried.
        await Task.Delay(1100, Ct);
        await PutArchiveAsync(seed: 3);
        await SettleAsync(watcher);
        var again = await watcher.CheckOnceAsync(Ct);
        again.Kind.ShouldBe(WatchDecisionKind.FailedBefore);
        again.Message.ShouldContain("out of memory");
        _bed.Launcher.Calls.Count.ShouldBe(1);

        // A version a manual `train` already registered (its dataset.version tag) is not trained again.
        await PutArchiveAsync(seed: 4);
        var version = await VersionOfPrefixAsync();
        var registry = _bed.Registry;
        var manual = await RegistryTestModels.LogAndRegisterAsync(_bed.Platform, Path.Combine(_bed.Home, "work"), 4f);
        await registry.SetVersionTagsAsync("dry_wet_model", manual.Version, new Dictionary<string, string> { [DatasetTags.Version] = version }, Ct);
        await SettleAsync(watcher);
        var registered = await watcher.CheckOnceAsync(Ct);
        registered.Kind.ShouldBe(WatchDecisionKind.AlreadyTrained);
        registered.Message.ShouldContain($"already registered as dry_wet_model v{manual.Version}");
        _bed.Launcher.Calls.Count.ShouldBe(1);
    }

    /// <summary>
    /// The archive replaced by another of the same size within the second of the version trained: S3 lists the same size
    /// and (whole-second) time, only the ETag differs; the embedded store lists a time one tick later (its file clock is
    /// stopped here: the same millisecond too). The replacement is a new dataset version, hashed anew (not taken from the
    /// snapshot builder's cache) and trained. On S3 the rewrite is retried until both versions list in one second (at
    /// most 20 tries), so the case is really met.
    /// </summary>
    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_same_size_archive_replaced_within_one_second_is_a_new_version(string store)
    {
        Use(store);
        var watcher = NewWatcher();

        var (_, second, trained, replaced) = await _bed.ReplaceWithinOneSecondAsync(store, "ml-data", $"{Prefix}dry-wet-data.zip", watcher.CheckOnceAsync, Debounce);

        replaced.Kind.ShouldBe(WatchDecisionKind.Trained);
        replaced.Sha256.ShouldNotBe(trained.Sha256);
        _bed.Launcher.Calls.ShouldBe([trained.Sha256!, replaced.Sha256!]);
        var manifest = await new ObjectStoreDatasetSource(Objects, "ml-data", _data.Prefix, null).LoadManifestAsync(replaced.Sha256!, Ct);
        manifest.ShouldNotBeNull().Objects.ShouldHaveSingleItem().Sha256.ShouldBe(DatasetFingerprint.Compute(second).Sha256);
        (await NewWatcher().CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);
    }

    [Fact]
    public void Min_new_labels_defaults_to_20_and_bad_values_or_misspelt_keys_are_errors()
    {
        Watcher().MinNewLabels.ShouldBe(20);
        Watcher(("DryWet:Watcher:MinNewLabels", "0")).MinNewLabels.ShouldBe(0);
        Should.Throw<DryWetException>(() => Watcher(("DryWet:Watcher:MinNewLabels", "-3")))
            .Message.ShouldContain("DryWet:Watcher:MinNewLabels = '-3' is not a whole number from 0 to");
        Should.Throw<DryWetException>(() => Watcher(("DryWet:Watcher:MinNewLabels", "1000001")))
            .Message.ShouldContain("DryWet:Watcher:MinNewLabels = '1000001' is not a whole number from 0 to 1,000,000");
        Should.Throw<DryWetException>(() => Watcher(("DryWet:Watcher:MinNewLabels", "few")))
            .Message.ShouldContain("DryWet:Watcher:MinNewLabels = 'few' is not a whole number");
        Should.Throw<DryWetException>(() => Watcher(("DryWet:Watcher:MinNewLabel", "5")))
            .Message.ShouldContain("DryWet:Watcher:MinNewLabel: unknown key (did you mean 'MinNewLabels'?)");

        static WatcherOptions Watcher(params (string Key, string Value)[] values) => OptionsBinding.Bind<WatcherOptions>(Config(values), WatcherOptions.SectionName);
    }

    /// <summary>
    /// The trainer binds its own settings when its host is built: a misspelt watcher key or a weights mirror that is not
    /// an http(s) URL stops any command (here <c>upload</c>) before it does anything, exit 2, named with the fix.
    /// </summary>
    [Theory]
    [InlineData("DryWet__Watcher__MinNewLabel", "5", "DryWet:Watcher:MinNewLabel: unknown key (did you mean 'MinNewLabels'?)")]
    [InlineData("DryWet__Weights__BaseUrl", "mirror.internal", "DryWet:Weights:BaseUrl = 'mirror.internal' is not an http(s) URL")]
    public async Task The_trainer_refuses_a_misspelt_or_bad_setting_at_start(string variable, string value, string message)
    {
        var package = Directory.CreateDirectory(Path.Combine(_bed.Home, "package")).FullName;
        var (exit, stdout, stderr) = await TrainerProcess.RunAsync(new Dictionary<string, string>
        {
            ["DryWet__Home"] = _bed.Home,
            [variable] = value,
        }, Ct, "upload", "--model", package);

        exit.ShouldBe(2, stderr);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain(message);
        Directory.Exists(DryWetHome.Objects(_bed.Home)).ShouldBeFalse();
    }

    [Fact]
    public void The_watched_dataset_names_its_state_and_manifests_in_dot_folders()
    {
        WatchedDataset.From("ml-data", null).ToString().ShouldBe("s3://ml-data/");
        WatchedDataset.From("ml-data", null).StateKey.ShouldBe(".drywet/watch/dataset.json");
        WatchedDataset.From("ml-data", "/team/roads/").StateKey.ShouldBe(".drywet/watch/team/roads/dataset.json");
        WatchedDataset.From("ml-data", "team").ManifestKey(new string('a', 32)).ShouldBe($"team/.datasets/{new string('a', 32)}.json");
        DatasetKeys.Classify(".drywet/watch/dataset.json").ShouldBe(DatasetKeyRole.Ignored);
        DatasetKeys.Classify(".datasets/x.json").ShouldBe(DatasetKeyRole.Ignored);
        Should.Throw<DryWetException>(() => WatchedDataset.From("ml-data", "../up"));
    }

    public void Dispose()
    {
        _bed.Dispose();
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private DatasetWatcher NewWatcher()
    {
        return new DatasetWatcher(Objects, _bed.Registry, "dry_wet_model", _bed.Launcher, _data, Debounce,
            MinNewLabels, _bed.Work, NullLogger<DatasetWatcher>.Instance, _bed.Clock);
    }

    private async Task SettleAsync(DatasetWatcher watcher)
    {
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(Debounce);
    }

    private async Task<string> VersionOfPrefixAsync()
    {
        using var work = new DryWet.Tests.Training.TempFolder();
        var source = new ObjectStoreDatasetSource(Objects, "ml-data", _data.Prefix, null);
        return (await new DatasetSnapshotBuilder(source).BuildAsync(null, work.Path, null, Ct)).Manifest.Version;
    }

    private async Task PutArchiveAsync(int seed)
    {
        var zip = Path.Combine(_bed.Home, $"data-{seed}.zip");
        SampleDataset.WriteZip(zip, countPerClass: 2, size: 16, seed: seed);
        await Objects.EnsureBucketAsync("ml-data", Ct);
        await Objects.UploadFileAsync("ml-data", $"{Prefix}dry-wet-data.zip", zip, Ct);
    }

    private async Task PutReviewAsync(string id, string label, byte[] image)
    {
        await PutAsync($"{label}/{id}.jpg", image);
        var entry = new LabelManifestEntry(id, label, label, false, "alice", DateTimeOffset.UnixEpoch, $"{Prefix}{label}/{id}.jpg",
            $"predictions/{id}.json", "dry_wet_model", "1", 0.9f, null);
        await PutAsync($".manifest/{id}.json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, PredictionLogRecord.Json)));
    }

    private Task PutAsync(string key, byte[] content) => Objects.UploadAsync("ml-data", Prefix + key, content, "application/octet-stream", Ct);

    private static byte[] Jpeg(bool wet, int seed) => SyntheticRoadGenerator.DrawJpeg(wet, 16, seed);
}
