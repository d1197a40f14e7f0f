using DryWet.Core;
using Microsoft.Extensions.Configuration;

namespace DryWet.Web;

/// <summary>Settings of the web page, section <c>Web</c> (env <c>Web__AdminApiKey</c>, …). Unknown keys are refused.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>Serving's base URL; <c>http://serving</c> is resolved by service discovery (<c>services:serving:http:0</c>).</summary>
    public string ServingUrl { get; set; } = "http://serving";

    /// <summary>The key a reviewer signs in with before labelling. Empty: labelling is refused (reading stays open).</summary>
    public string AdminApiKey { get; set; } = "";

    /// <summary>Set behind a gateway that keeps its prefix, e.g. <c>/dry-wet-ui</c>; links and the cookie follow it.</summary>
    public string PathBase { get; set; } = "";

    /// <summary>Registered model whose versions the model page shows.</summary>
    public string ModelName { get; set; } = "dry_wet_model";

    /// <summary>Largest image the try-it page accepts (serving has its own limit, 20 MB by default).</summary>
    public long MaxUploadBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Where thumbnails and downloaded reports are cached; default <c>&lt;DryWet:Home&gt;/cache/web</c>.</summary>
    public string CacheDirectory { get; set; } = "";

    private static readonly string[] Keys = [nameof(ServingUrl), nameof(AdminApiKey), nameof(PathBase), nameof(ModelName), nameof(MaxUploadBytes), nameof(CacheDirectory)];

    /// <summary>Binds and checks the section: a misspelt key or a bad value stops the start with the key and the value.</summary>
    public static WebOptions Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var unknown = section.GetChildren().Select(c => c.Key).Where(k => !Keys.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            throw new DryWetException($"Unknown setting(s) {string.Join(", ", unknown.Select(k => $"'{SectionName}:{k}'"))}: the section '{SectionName}' has {string.Join(", ", Keys)}.");
        }

        var options = new WebOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new DryWetException($"Section '{SectionName}' has a value of the wrong type: {ex.Message}");
        }

        if (!Uri.TryCreate(options.ServingUrl, UriKind.Absolute, out var serving) || serving.Scheme is not ("http" or "https"))
        {
            throw new DryWetException($"{SectionName}:ServingUrl = '{options.ServingUrl}' is not an http(s) URL; use e.g. http://serving or http://localhost:5001.");
        }

        if (options.PathBase.Length > 0 && (!options.PathBase.StartsWith('/') || options.PathBase.EndsWith('/')))
        {
            throw new DryWetException($"{SectionName}:PathBase = '{options.PathBase}' must start with '/' and not end with one, e.g. /dry-wet-ui.");
        }

        if (options.MaxUploadBytes <= 0)
        {
            throw new DryWetException($"{SectionName}:MaxUploadBytes = {options.MaxUploadBytes} must be positive (bytes), e.g. 20971520.");
        }

        return options;
    }
}
