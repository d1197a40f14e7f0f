using DryWet.Benchmarks.Serving;

namespace DryWet.Tests.Benchmarks;

/// <summary>
/// The serving benchmark's busy-machine guard, decided by the threshold against the real /proc/loadavg (no timing):
/// a round that starts above <c>--max-load</c> is refused with a message saying why and how to override, or with
/// <c>--allow-busy</c> runs marked BUSY; below the threshold it runs unmarked.
/// </summary>
public sealed class LoadGuardTests
{
    [Fact]
    public async Task A_round_above_the_threshold_is_refused_naming_the_load_and_the_override()
    {
        // No machine has a load average of 0: a threshold of 0.000001 is always exceeded.
        var guard = new LoadGuard(0.000001, TimeSpan.Zero, allowBusy: false);

        var error = await Should.ThrowAsync<MachineBusyException>(() => guard.BeforeRoundAsync("round 1"));

        error.Message.ShouldContain("REFUSED round 1");
        error.Message.ShouldContain("--allow-busy");
        guard.AnyBusy.ShouldBeFalse();
    }

    [Fact]
    public async Task With_allow_busy_the_round_runs_and_is_marked_busy()
    {
        var guard = new LoadGuard(0.000001, TimeSpan.Zero, allowBusy: true);

        var (load, busy) = await guard.BeforeRoundAsync("round 2");

        busy.ShouldBeTrue();
        load.ShouldBeGreaterThan(0);
        guard.AnyBusy.ShouldBeTrue();
    }

    [Fact]
    public async Task Below_the_threshold_the_round_runs_unmarked()
    {
        var guard = new LoadGuard(1_000_000, TimeSpan.Zero, allowBusy: false);

        var (_, busy) = await guard.BeforeRoundAsync("round 3");

        busy.ShouldBeFalse();
        guard.AnyBusy.ShouldBeFalse();
        LoadGuard.Text().Split(' ').Length.ShouldBe(3);
    }
}
