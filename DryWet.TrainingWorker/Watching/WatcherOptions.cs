using System.Globalization;
using DryWet.Core.Configuration;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// <c>DryWet:Watcher</c> in the trainer's configuration, bound when the trainer's host is built (<see cref="OptionsBinding"/>:
/// a misspelt key or a bad value stops the command at start). <see cref="MinNewLabels"/>: reviewed labels start a run
/// only once at least this many arrived (or changed, or were removed) since the dataset the last run trained on, so one
/// click on the Review page does not start a training. A changed archive trains whatever the labels.
/// </summary>
public sealed class WatcherOptions : IValidatedOptions
{
    public const string SectionName = "DryWet:Watcher";
    public const int DefaultMinNewLabels = 20;
    public const int MaxMinNewLabels = 1_000_000;

    public int MinNewLabels { get; set; } = DefaultMinNewLabels;

    public IEnumerable<string> Validate(string section)
    {
        if (MinNewLabels is < 0 or > MaxMinNewLabels)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{section}:{nameof(MinNewLabels)} = '{MinNewLabels}' is not a whole number from 0 to {MaxMinNewLabels:N0} (default {DefaultMinNewLabels}; 0 trains on every new label).");
        }
    }
}
