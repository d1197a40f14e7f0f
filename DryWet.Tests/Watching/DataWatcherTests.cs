using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Registry;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DryWet.Tests.Watching;

/// <summary>
/// The watcher's decisions on the embedded object store and registry, with a launcher that records what it was asked
/// to train (training itself is covered by the loop's end-to-end test): debounce, skipping content already trained,
/// no retry of failed content, a same-size replacement within one second, state that survives a restart.
/// </summary>
public sealed class DataWatcherTests(S3rverFixture s3) : IClassFixture<S3rverFixture>, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromSeconds(10);
    private readonly WatcherTestBed _bed = new("watcher", datasets: false);
    private WatchedObject _data = new("ml-data", "dry-wet-data.zip");

    public static TheoryData<string> Stores() => ["embedded", "minio"];

    /// <summary>Embedded: the default object; MinIO (s3rver, shared by the class): a key of its own in a folder.</summary>
    private void Use(string store)
    {
        _bed.Use(store, s3);
        _data = store == "minio" ? new("ml-data", $"watch-{Guid.NewGuid():N}/dry-wet-data.zip") : _data;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IObjectStore Objects => _bed.Objects;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task New_data_is_trained_once_it_holds_still_then_unchanged_and_identical_reuploads_are_skipped(string store)
    {
        Use(store);
        var watcher = NewWatcher();
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.NoData);

        var zip = await UploadAsync(seed: 1);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(TimeSpan.FromSeconds(4));
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Launcher.Calls.ShouldBeEmpty();
        _bed.Clock.Advance(TimeSpan.FromSeconds(7));
        var trained = await watcher.CheckOnceAsync(Ct);

        trained.Kind.ShouldBe(WatchDecisionKind.Trained);
        trained.Sha256.ShouldBe(DatasetFingerprint.Compute(zip).Sha256);
        _bed.Launcher.Calls.ShouldHaveSingleItem().ShouldBe(trained.Sha256);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);

        // Same bytes uploaded again (a new modification time: S3 keeps whole seconds): downloaded and hashed, not trained.
        await Task.Delay(1100, Ct);
        await UploadAsync(seed: 1);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(Debounce);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.AlreadyTrained);
        _bed.Launcher.Calls.Count.ShouldBe(1);

        // A restarted watcher reads its state next to the data.
        (await NewWatcher().CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_change_while_settling_restarts_the_wait_and_the_final_content_is_trained(string store)
    {
        Use(store);
        var watcher = NewWatcher();
        await UploadAsync(seed: 5);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(TimeSpan.FromSeconds(6));

        // Still being written: new content (S3 keeps whole seconds, so wait for a new modification time).
        await Task.Delay(1100, Ct);
        var final = await UploadAsync(seed: 6, countPerClass: 3);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);

        // 12 s after the first upload, 6 s after the change: the change must hold still for the whole debounce.
        _bed.Clock.Advance(TimeSpan.FromSeconds(6));
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Launcher.Calls.ShouldBeEmpty();

        _bed.Clock.Advance(TimeSpan.FromSeconds(4));
        var trained = await watcher.CheckOnceAsync(Ct);
        trained.Kind.ShouldBe(WatchDecisionKind.Trained);
        trained.Sha256.ShouldBe(DatasetFingerprint.Compute(final).Sha256);
        _bed.Launcher.Calls.ShouldBe([DatasetFingerprint.Compute(final).Sha256]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_failed_run_is_retried_only_on_new_data(string store)
    {
        Use(store);
        var watcher = NewWatcher();
        _bed.Launcher.FailNext = "out of memory";
        await UploadAsync(seed: 2);
        await SettleAsync(watcher);
        var failed = await watcher.CheckOnceAsync(Ct);
        failed.Kind.ShouldBe(WatchDecisionKind.Failed);
        failed.Message.ShouldBe("out of memory");

        await Task.Delay(1100, Ct);
        await UploadAsync(seed: 2);
        await SettleAsync(watcher);
        var again = await watcher.CheckOnceAsync(Ct);
        again.Kind.ShouldBe(WatchDecisionKind.FailedBefore);
        again.Message.ShouldContain("out of memory");

        await UploadAsync(seed: 3);
        await SettleAsync(watcher);
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Trained);
        _bed.Launcher.Calls.Count.ShouldBe(2);
    }

    /// <summary>
    /// The zip replaced by another of the same size within the second of the version trained: S3 lists the same size and
    /// (whole-second) time, only the ETag differs; the embedded store lists a time one tick later (its file clock is
    /// stopped here). The replacement settles and is trained. On S3 the rewrite is retried until both versions list in
    /// one second (at most 20 tries), so the case is really met.
    /// </summary>
    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_same_size_replacement_within_one_second_is_trained(string store)
    {
        Use(store);
        var watcher = NewWatcher();

        var (first, second, _, replaced) = await _bed.ReplaceWithinOneSecondAsync(store, _data.Bucket, _data.Key, watcher.CheckOnceAsync, Debounce);

        replaced.Kind.ShouldBe(WatchDecisionKind.Trained);
        replaced.Sha256.ShouldBe(DatasetFingerprint.Compute(second).Sha256);
        _bed.Launcher.Calls.ShouldBe([DatasetFingerprint.Compute(first).Sha256, DatasetFingerprint.Compute(second).Sha256]);
        (await NewWatcher().CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Unchanged);
    }

    [Fact]
    public async Task Content_already_registered_by_a_manual_train_is_not_trained_again()
    {
        Use("embedded");
        var zip = await UploadAsync(seed: 4);
        var registry = _bed.Registry;
        var version = await RegistryTestModels.LogAndRegisterAsync(_bed.Platform, Path.Combine(_bed.Home, "work"), 4f);
        await registry.SetVersionTagsAsync("dry_wet_model", version.Version,
            new Dictionary<string, string> { [DatasetTags.Sha256] = DatasetFingerprint.Compute(zip).Sha256 }, Ct);
        var watcher = NewWatcher();

        await SettleAsync(watcher);
        var decision = await watcher.CheckOnceAsync(Ct);

        decision.Kind.ShouldBe(WatchDecisionKind.AlreadyTrained);
        decision.Message.ShouldBe("content already registered as dry_wet_model v1");
        _bed.Launcher.Calls.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("--interval", "soon", "--interval 'soon' is not a duration: use e.g. 30s, 5m, 1h or 00:01:00.")]
    [InlineData("--interval", "0s", "--interval 0s is out of range: between 00:00:00.1000000 and 1.00:00:00.")]
    public void Bad_durations_name_the_option_and_the_value(string option, string value, string message) =>
        Should.Throw<DryWet.Core.DryWetException>(() => Durations.Parse(option, value, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1)))
            .Message.ShouldBe(message);

    [Fact]
    public void Durations_take_units_and_timespans()
    {
        Durations.Parse("--interval", "90s", TimeSpan.Zero, TimeSpan.MaxValue).ShouldBe(TimeSpan.FromSeconds(90));
        Durations.Parse("--interval", "250ms", TimeSpan.Zero, TimeSpan.MaxValue).ShouldBe(TimeSpan.FromMilliseconds(250));
        Durations.Parse("--interval", "2m", TimeSpan.Zero, TimeSpan.MaxValue).ShouldBe(TimeSpan.FromMinutes(2));
        Durations.Parse("--interval", "00:00:30", TimeSpan.Zero, TimeSpan.MaxValue).ShouldBe(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        _bed.Dispose();
    }

    private DataWatcher NewWatcher()
    {
        return new DataWatcher(Objects, _bed.Registry, "dry_wet_model", _bed.Launcher, _data, Debounce, _bed.Work,
            NullLogger<DataWatcher>.Instance, _bed.Clock);
    }

    private async Task SettleAsync(DataWatcher watcher)
    {
        (await watcher.CheckOnceAsync(Ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
        _bed.Clock.Advance(Debounce);
    }

    private async Task<string> UploadAsync(int seed, int countPerClass = 2)
    {
        var zip = Path.Combine(_bed.Home, $"data-{seed}.zip");
        SampleDataset.WriteZip(zip, countPerClass: countPerClass, size: 16, seed: seed);
        await Objects.EnsureBucketAsync(_data.Bucket, Ct);
        await Objects.UploadFileAsync(_data.Bucket, _data.Key, zip, Ct);
        return zip;
    }
}
