namespace DryWet.AppHost.Trainer;

/// <summary>
/// <c>DryWet:Weights</c>: where the trainer gets torchvision's ImageNet weights (part of <see cref="Platform.DryWetSettings"/>).
/// The trainer reads and checks both settings itself; the AppHost passes both on to every trainer it starts
/// (<see cref="EnvironmentVariables"/>).
/// </summary>
public sealed class WeightsSettings
{
    /// <summary>A mirror of torchvision's weight files (passed to the trainer as <c>DryWet__Weights__BaseUrl</c>).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// Weight file name per architecture (<c>DryWet:Weights:Files:efficientnet_b0</c>, passed to the trainer as
    /// <c>DryWet__Weights__Files__efficientnet_b0</c>); any architecture is a key.
    /// </summary>
    public Dictionary<string, string> Files { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The trainer's own names for what is set: <c>DryWet__Weights__BaseUrl</c> and one
    /// <c>DryWet__Weights__Files__&lt;architecture&gt;</c> per file; nothing for a setting left unset or blank.
    /// </summary>
    public IEnumerable<(string Name, string Value)> EnvironmentVariables()
    {
        if (!string.IsNullOrWhiteSpace(BaseUrl))
        {
            yield return ("DryWet__Weights__BaseUrl", BaseUrl);
        }

        foreach (var (architecture, file) in Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!string.IsNullOrWhiteSpace(file))
            {
                yield return ($"DryWet__Weights__Files__{architecture}", file);
            }
        }
    }

    public IEnumerable<string> Validate(string section)
    {
        if (!string.IsNullOrEmpty(BaseUrl) && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            yield return $"{section}:{nameof(BaseUrl)} = '{BaseUrl}' is not an http(s) URL; use the address of a mirror of torchvision's weight files.";
        }

        // Each key becomes part of a variable name (and of a ConfigMap key in the published manifests).
        foreach (var architecture in Files.Keys.Where(k => !k.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            yield return $"{section}:{nameof(Files)}:{architecture} is not an architecture name (letters, digits, '_', '-', '.'); use e.g. {section}:{nameof(Files)}:efficientnet_b0.";
        }
    }
}
