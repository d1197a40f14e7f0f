using DryWet.Core.Configuration;

namespace DryWet.TrainingWorker.Model;

/// <summary>
/// <c>DryWet:Weights</c>: where <c>model.pretrained: imagenet</c> gets torchvision's weight files. Bound when the
/// trainer's host is built (<see cref="OptionsBinding"/>: a misspelt key or a bad URL stops the command at start). The
/// AppHost, which does not load the trainer's assembly, checks the same keys in its own settings and passes
/// <see cref="BaseUrl"/> on to the trainers it starts.
/// </summary>
public sealed class WeightsOptions : IValidatedOptions
{
    public const string SectionName = "DryWet:Weights";

    /// <summary>
    /// A mirror of torchvision's weight files (env <c>DryWet__Weights__BaseUrl</c>), for air-gapped clusters; empty:
    /// torchvision's own host (<see cref="ImageNetWeights.DefaultBaseUrl"/>).
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>Another file name on the mirror per architecture (<c>DryWet:Weights:Files:efficientnet_b0</c>); any architecture is a key.</summary>
    public Dictionary<string, string> Files { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The folder the files are downloaded from: <see cref="BaseUrl"/> (as a folder, ending in '/') or torchvision's.</summary>
    public Uri BaseFolder() => string.IsNullOrWhiteSpace(BaseUrl) ? ImageNetWeights.DefaultBaseUrl : new Uri(AsFolder(BaseUrl));

    /// <summary>The file named for <paramref name="architecture"/> in <see cref="Files"/> (keys case-insensitive), or null.</summary>
    public string? FileFor(string architecture) =>
        Files.FirstOrDefault(f => string.Equals(f.Key, architecture, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(f.Value)).Value;

    public IEnumerable<string> Validate(string section)
    {
        if (!string.IsNullOrWhiteSpace(BaseUrl) && !(Uri.TryCreate(AsFolder(BaseUrl), UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            yield return $"{section}:{nameof(BaseUrl)} = '{BaseUrl}' is not an http(s) URL; set it to the folder that serves torchvision's weight files, e.g. http://mirror.internal/torchvision/models/.";
        }
    }

    private static string AsFolder(string url) => url.EndsWith('/') ? url : url + "/";
}
