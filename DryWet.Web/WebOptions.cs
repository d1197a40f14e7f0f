using DryWet.Core;
using Microsoft.Extensions.Configuration;

namespace DryWet.Web;

/// <summary>Settings of the web page, section <c>Web</c> (env <c>Web__AdminApiKey</c>, …). Unknown keys are refused.</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>Serving's base URL; <c>http://serving</c> is resolved by service discovery (<c>services:serving:http:0</c>).</summary>
    public string ServingUrl { get; set; } = "http://serving";

    /// <summary>The key a reviewer signs in with before reviewing or labelling. Empty: nobody can sign in.</summary>
    public string AdminApiKey { get; set; } = "";

    /// <summary>Set behind a gateway that keeps its prefix, e.g. <c>/dry-wet-ui</c>; links and the cookie follow it.</summary>
    public string PathBase { get; set; } = "";

    /// <summary>Registered model whose versions the model page shows.</summary>
    public string ModelName { get; set; } = "dry_wet_model";

    /// <summary>Largest image the try-it page accepts (serving has its own limit, 20 MB by default).</summary>
    public long MaxUploadBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Where thumbnails and downloaded reports are cached; default <c>&lt;DryWet:Home&gt;/cache/web</c>.</summary>
    public string CacheDirectory { get; set; } = "";

    /// <summary>
    /// Opens the review page and its thumbnails to everyone (logged customer images and reviewer names). Off by default:
    /// reading them needs a signed-in reviewer; labelling always does.
    /// </summary>
    public bool PublicReview { get; set; }

    /// <summary>A logged image whose header declares more pixels than this gets no thumbnail (422 naming its size).</summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>
    /// Memory all thumbnail decodes together may hold (MiB): each reserves width × height × 4 bytes of the size it
    /// decodes at before decoding; when the budget stays full for <see cref="Review.ThumbnailDecodeBudget.Wait"/>, 503 + Retry-After.
    /// </summary>
    public int DecodeMemoryBudgetMB { get; set; } = 192;

    /// <summary>Sign-in attempts per client address and minute; more get 429 with Retry-After.</summary>
    public int SignInPermitsPerMinute { get; set; } = 10;

    /// <summary>
    /// Proxies (addresses or CIDR networks) whose X-Forwarded-For/-Proto are believed, besides loopback (the Istio
    /// sidecar reaches the app from 127.0.0.6). Empty: loopback only.
    /// </summary>
    public string[] KnownProxies { get; set; } = [];

    private static readonly string[] Keys =
    [
        nameof(ServingUrl), nameof(AdminApiKey), nameof(PathBase), nameof(ModelName), nameof(MaxUploadBytes), nameof(CacheDirectory),
        nameof(PublicReview), nameof(MaxImagePixels), nameof(DecodeMemoryBudgetMB), nameof(SignInPermitsPerMinute), nameof(KnownProxies),
    ];

    public long DecodeMemoryBudgetBytes => DecodeMemoryBudgetMB * 1024L * 1024L;

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

        if (options.MaxImagePixels <= 0)
        {
            throw new DryWetException($"{SectionName}:MaxImagePixels = {options.MaxImagePixels} must be positive, e.g. 40000000 (40 MP).");
        }

        if (options.DecodeMemoryBudgetMB <= 0 || options.DecodeMemoryBudgetBytes < options.MaxImagePixels * 4)
        {
            throw new DryWetException(
                $"{SectionName}:DecodeMemoryBudgetMB = {options.DecodeMemoryBudgetMB} must hold one image of {SectionName}:MaxImagePixels = {options.MaxImagePixels} "
                + $"at 4 bytes per pixel (at least {(options.MaxImagePixels * 4 + (1024 * 1024) - 1) / (1024 * 1024)} MiB).");
        }

        if (options.SignInPermitsPerMinute <= 0)
        {
            throw new DryWetException($"{SectionName}:SignInPermitsPerMinute = {options.SignInPermitsPerMinute} must be positive, e.g. 10.");
        }

        foreach (var proxy in options.KnownProxies)
        {
            if (!System.Net.IPNetwork.TryParse(proxy, out _) && !System.Net.IPAddress.TryParse(proxy, out _))
            {
                throw new DryWetException($"{SectionName}:KnownProxies has '{proxy}', which is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8).");
            }
        }

        return options;
    }
}
