using System.Globalization;

namespace DryWet.Benchmarks.Serving;

/// <summary>
/// Refuses rounds on a busy machine: before each round it waits (idle, up to <c>--cooldown</c>) until the 1-minute load
/// average is at most <c>--max-load</c> (default 1.5 on these 2 cores; the benchmark's own previous round also raises
/// it, hence the wait), and prints the load before and after. A round that starts busy is refused (the run stops,
/// exit code 3) unless <c>--allow-busy</c>, which runs it and marks it BUSY, as well as the whole report.
/// </summary>
internal sealed class LoadGuard(double maxLoad, TimeSpan cooldown, bool allowBusy)
{
    public double MaxLoad { get; } = maxLoad;

    /// <summary>True when any round ran on a busy machine (only with <c>--allow-busy</c>).</summary>
    public bool AnyBusy { get; private set; }

    public static LoadGuard From(BenchmarkArguments arguments)
    {
        var maxLoad = double.TryParse(arguments.String("--max-load", "1.5"), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new BenchmarkArgumentException($"--max-load expects a positive number, e.g. 1.5; got '{arguments.String("--max-load")}'.");
        return new LoadGuard(maxLoad, arguments.Duration("--cooldown") ?? TimeSpan.FromSeconds(120), arguments.Flag("--allow-busy"));
    }

    /// <summary>Waits for the load to settle; returns the load before the round and whether it is busy. Throws when refused.</summary>
    public async Task<(double Load, bool Busy)> BeforeRoundAsync(string round)
    {
        var waited = TimeSpan.Zero;
        var load = OneMinute();
        while (load > MaxLoad && waited < cooldown)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            waited += TimeSpan.FromSeconds(5);
            load = OneMinute();
        }

        if (waited > TimeSpan.Zero)
        {
            Console.WriteLine($"  ({round}: waited {waited.TotalSeconds:0} s idle for the load average to settle: {load:F2})");
        }

        if (load <= MaxLoad)
        {
            return (load, false);
        }

        if (!allowBusy)
        {
            throw new MachineBusyException(
                $"REFUSED {round}: load average {Text()} stayed above {MaxLoad:F2} for {cooldown.TotalSeconds:0} s: another process is using the cores, so no figure of this run would be a measurement. " +
                "Run it on an idle machine, or pass --allow-busy to measure anyway (every figure is then marked BUSY).");
        }

        AnyBusy = true;
        Console.WriteLine($"  !!! {round} runs on a BUSY machine (load average {load:F2} > {MaxLoad:F2}, --allow-busy): its figures are not measurements !!!");
        return (load, true);
    }

    /// <summary>The 1-, 5- and 15-minute load averages as <c>/proc/loadavg</c> prints them.</summary>
    public static string Text() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static double OneMinute() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : 0;
}
