using DryWet.AppHost.Publishing;
using DryWet.AppHost.Trainer;
using DryWet.Core;
using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Platform;

/// <summary>
/// The AppHost's own settings, section <c>DryWet</c> (env <c>DryWet__Trainer__Config</c>, argument
/// <c>--DryWet:SampleData:Count=50</c>, …), bound once at start through Core's <see cref="OptionsBinding"/>: a misspelt
/// key (<c>DryWet:SampleData:Cuont</c>) names the nearest valid one, a value of the wrong type or an invalid value is
/// named too, every problem in one error, before any resource exists.
/// </summary>
public sealed class DryWetSettings : IValidatedOptions
{
    public const string SectionName = "DryWet";

    /// <summary>
    /// <c>embedded</c>, <c>containers</c> or <c>auto</c> (empty = auto: containers when a container engine answers).
    /// The top-level switch <c>--mode</c> is read when this is empty (<see cref="PlatformModeExtensions"/>).
    /// </summary>
    public string Mode { get; set; } = "";

    /// <summary>The embedded platform's folder (<see cref="DryWetHome.ConfigurationKey"/>); empty: <c>DRYWET_HOME</c>, else <c>~/.drywet</c>.</summary>
    public string Home { get; set; } = "";

    public TrainerSettings Trainer { get; set; } = new();

    public WatcherSettings Watcher { get; set; } = new();

    public SampleDataSettings SampleData { get; set; } = new();

    public WeightsSettings Weights { get; set; } = new();

    /// <summary>The publish step's settings (<see cref="KubernetesPublishOptions"/>); checked here too, so a typo stops a run as well.</summary>
    public KubernetesPublishOptions Kubernetes { get; set; } = new();

    /// <summary>Reads section <c>DryWet</c> (<see cref="OptionsBinding"/>).</summary>
    /// <exception cref="DryWetException">Every unknown key, unconvertible or invalid value, in one message.</exception>
    public static DryWetSettings FromConfiguration(IConfiguration configuration) => OptionsBinding.Bind<DryWetSettings>(configuration, SectionName);

    public IEnumerable<string> Validate(string section)
    {
        if (PlatformModeExtensions.Parse(Mode) is null)
        {
            yield return PlatformModeExtensions.NotAMode($"{section}:{nameof(Mode)}", Mode);
        }

        foreach (var error in Trainer.Validate($"{section}:{nameof(Trainer)}")
                     .Concat(Watcher.Validate($"{section}:{nameof(Watcher)}"))
                     .Concat(SampleData.Validate($"{section}:{nameof(SampleData)}"))
                     .Concat(Weights.Validate($"{section}:{nameof(Weights)}")))
        {
            yield return error;
        }
    }
}
