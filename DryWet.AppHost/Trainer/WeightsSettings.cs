namespace DryWet.AppHost.Trainer;

/// <summary>
/// <c>DryWet:Weights</c>: where the trainer gets torchvision's ImageNet weights (part of <see cref="Platform.DryWetSettings"/>).
/// The trainer reads and checks both settings itself; the AppHost passes <see cref="BaseUrl"/> on.
/// </summary>
public sealed class WeightsSettings
{
    /// <summary>A mirror of torchvision's weight files (passed to the trainer as <c>DryWet__Weights__BaseUrl</c>).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Weight file name per architecture (<c>DryWet:Weights:Files:efficientnet_b0</c>); any architecture is a key.</summary>
    public Dictionary<string, string> Files { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Validate(string section)
    {
        if (!string.IsNullOrEmpty(BaseUrl) && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            yield return $"{section}:{nameof(BaseUrl)} = '{BaseUrl}' is not an http(s) URL; use the address of a mirror of torchvision's weight files.";
        }
    }
}
