namespace DryWet.AppHost.Trainer;

/// <summary><c>DryWet:Trainer</c>: what "Train now" and the watcher train with (part of <see cref="Platform.DryWetSettings"/>).</summary>
public sealed class TrainerSettings
{
    public const string DefaultConfig = "config/tiny.yaml";

    /// <summary>Config file the trainer trains with (relative to the AppHost folder, or absolute).</summary>
    public string Config { get; set; } = DefaultConfig;

    /// <summary>A trainer image (e.g. built with dotnet publish -t:PublishContainer) to run as a GPU container in container mode.</summary>
    public string? Image { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Config))
        {
            yield return $"{section}:{nameof(Config)} is empty: name a training config file (default {DefaultConfig}).";
        }
    }
}
