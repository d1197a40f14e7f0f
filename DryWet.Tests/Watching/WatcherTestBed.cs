using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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

    public void Dispose()
    {
        _platform?.Dispose();
        TestFolders.DeleteQuietly(Home);
    }
}
