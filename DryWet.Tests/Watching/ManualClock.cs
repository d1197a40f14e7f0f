namespace DryWet.Tests.Watching;

/// <summary>A clock the watcher tests move by hand: the debounce passes when a test says so, not after a real wait.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
