using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// <c>DryWet:Watcher</c> in the trainer's configuration. <see cref="MinNewLabels"/>: reviewed labels start a run only
/// once at least this many arrived (or changed, or were removed) since the dataset the last run trained on, so one
/// click on the Review page does not start a training. A changed archive trains whatever the labels.
/// </summary>
public sealed class WatcherOptions
{
    public const string SectionKey = "DryWet:Watcher";
    public const int DefaultMinNewLabels = 20;
    public const int MaxMinNewLabels = 1_000_000;

    public int MinNewLabels { get; set; } = DefaultMinNewLabels;

    /// <summary>Reads and checks the section: an unknown key or a value that is not a whole number in range is an error.</summary>
    public static WatcherOptions FromConfiguration(IConfiguration configuration)
    {
        OptionsKeyChecker.ThrowOnUnknownKeys(configuration, (SectionKey, typeof(WatcherOptions)));
        var options = new WatcherOptions();
        if (configuration[$"{SectionKey}:{nameof(MinNewLabels)}"] is { Length: > 0 } text)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > MaxMinNewLabels)
            {
                throw new DryWetException($"{SectionKey}:{nameof(MinNewLabels)} = '{text}' is not a whole number from 0 to {MaxMinNewLabels:N0} (default {DefaultMinNewLabels}; 0 trains on every new label).");
            }

            options.MinNewLabels = value;
        }

        return options;
    }
}
