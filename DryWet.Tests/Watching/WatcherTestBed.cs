using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Sdk;

namespace DryWet.Tests.Watching;

/// <summary>
/// What both watchers' tests stand on: a home folder, the embedded platform or one on MinIO (s3rver), a hand-moved
/// clock, a recording launcher and the watcher's work folder. One per test (the test class owns and disposes it).
/// </summary>
internal sealed class WatcherTestBed(string name, bool datasets) : IDisposable
{
    private IHost? _platform;

    public string Home { get; } = TestFolders.NewTempDirectory(name);

    public ManualClock Clock { get; } = new();

    public RecordingLauncher Launcher { get; } = new(datasets);

    /// <summary>The platform <see cref="Use"/> started.</summary>
    public IHost Platform => _platform ?? throw new InvalidOperationException("Call Use(store) first.");

    public IObjectStore Objects => Platform.Services.GetRequiredService<IObjectStore>();

    public IModelRegistry Registry => Platform.Services.GetRequiredService<IModelRegistry>();

    /// <summary>The watcher's scratch folder (created).</summary>
    public string Work => Directory.CreateDirectory(Path.Combine(Home, "watch-work")).FullName;

    /// <summary>Starts the platform on <paramref name="store"/>: "embedded" (under <see cref="Home"/>) or "minio" (s3rver, shared by the class).</summary>
    public void Use(string store, S3rverFixture s3) =>
        _platform = store == "minio" ? PlatformHost.Build(Home, minio: s3.ConnectionString) : PlatformHost.Build(Home);

    /// <summary>
    /// Embedded store only: dates the stored object ahead, to a whole second, as if the file system's clock stood still
    /// (a coarse timestamp tick). The store then lists the next version of it one tick later: within the same second
    /// and millisecond, which only the store's own tick-later stamp tells apart.
    /// </summary>
    public void StopFileClock(string bucket, string key)
    {
        var ahead = DateTime.UtcNow.AddMinutes(1);
        File.SetLastWriteTimeUtc(Path.Combine(DryWetHome.Objects(Home), bucket, key), ahead.AddTicks(-(ahead.Ticks % TimeSpan.TicksPerSecond)));
    }

    /// <summary>
    /// The same-size archive replaced within one second, for either watcher (<paramref name="checkOnce"/>, debounced by
    /// <paramref name="debounce"/> on <see cref="Clock"/>): the first of <see cref="SameSizeArchives"/> is put at
    /// <paramref name="key"/> (its file clock stopped on the embedded store), settles and is trained (already trained
    /// on a retry), then the second replaces it. S3 lists both in one whole second only by chance, so the replacement
    /// is retried until they do (at most 20 tries); then the watcher settles once more and decides on the replacement.
    /// Unchanged there would be the bug: the replacement taken for the version trained.
    /// </summary>
    /// <returns>The two archives, the decision that trained the first, and the decision on the replacement.</returns>
    public async Task<(string First, string Second, WatchDecision FirstTrained, WatchDecision Replaced)> ReplaceWithinOneSecondAsync(
        string store, string bucket, string key, Func<CancellationToken, Task<WatchDecision>> checkOnce, TimeSpan debounce)
    {
        var ct = TestContext.Current.CancellationToken;
        var (first, second) = SameSizeArchives.Write(Path.Combine(Home, "same-size"));
        WatchDecision? firstTrained = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await Objects.EnsureBucketAsync(bucket, ct);
            await Objects.UploadFileAsync(bucket, key, first, ct);
            if (store == "embedded")
            {
                StopFileClock(bucket, key);
            }

            await SettleAsync();
            var decided = await checkOnce(ct);
            decided.Kind.ShouldBe(attempt == 0 ? WatchDecisionKind.Trained : WatchDecisionKind.AlreadyTrained);
            firstTrained ??= decided;
            var size = new FileInfo(first).Length;
            var before = await ListedAsync(size);

            await Objects.UploadFileAsync(bucket, key, second, ct);
            var after = await ListedAsync(size);
            if (after.LastModified.ToUnixTimeSeconds() == before.LastModified.ToUnixTimeSeconds())
            {
                await SettleAsync();
                return (first, second, firstTrained, await checkOnce(ct));
            }
        }

        throw FailException.ForFailure("20 replacements never fell within the second of the version they replaced");

        async Task SettleAsync()
        {
            (await checkOnce(ct)).Kind.ShouldBe(WatchDecisionKind.Settling);
            Clock.Advance(debounce);
        }

        // s3rver rewrites an object's file in place: a listing just after the upload's answer can catch it at 0 bytes.
        // Same-size archives: wait (at most 5 s) until the listing shows the archive's size.
        async Task<StoredObject> ListedAsync(long size)
        {
            for (var tries = 0; ; tries++)
            {
                var listed = (await Objects.ListAsync(bucket, key, ct)).Single(o => o.Key == key);
                if (listed.Size == size || tries == 50)
                {
                    listed.Size.ShouldBe(size, "the listing never showed the uploaded archive's size");
                    return listed;
                }

                await Task.Delay(100, ct);
            }
        }
    }

    public void Dispose()
    {
        _platform?.Dispose();
        TestFolders.DeleteQuietly(Home);
    }
}
