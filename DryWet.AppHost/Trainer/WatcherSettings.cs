namespace DryWet.AppHost.Trainer;

/// <summary><c>DryWet:Watcher</c>: the local training watcher's settings (part of <see cref="Platform.DryWetSettings"/>).</summary>
public sealed class WatcherSettings
{
    /// <summary>Largest <see cref="MinNewLabels"/> the watcher accepts (the trainer checks the same bound).</summary>
    public const int MaxMinNewLabels = 1_000_000;

    /// <summary>Time between checks, in the trainer's <c>--interval</c> form (30s, 5m, 00:01:00); on a laptop a change is picked up quickly (the CLI's default is 60 s).</summary>
    public string Interval { get; set; } = "5s";

    /// <summary>Passed on to the watcher when set: new reviewed labels that start a run (the watcher's default is 20).</summary>
    public int? MinNewLabels { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Interval))
        {
            yield return $"{section}:{nameof(Interval)} is empty: use a time between checks such as 5s, 5m or 00:01:00 (default 5s).";
        }

        if (MinNewLabels is < 0 or > MaxMinNewLabels)
        {
            yield return $"{section}:{nameof(MinNewLabels)} = {MinNewLabels} is not a whole number from 0 to {MaxMinNewLabels:N0} (default 20; 0 trains on every new label).";
        }
    }
}
