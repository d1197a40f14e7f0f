using DryWet.Core.Configuration;
using DryWet.Core.Imaging;

namespace DryWet.Web;

/// <summary>
/// Settings of the web page, section <c>Web</c> (env <c>Web__AdminApiKey</c>, …), bound once at start through Core's
/// <see cref="OptionsBinding"/>: a misspelt key, a value of the wrong type or an invalid value stops the start naming it.
/// </summary>
public sealed class WebOptions : IValidatedOptions
{
    public const string SectionName = "Web";

    /// <summary>Serving's base URL; <c>http://serving</c> is resolved by service discovery (<c>services:serving:http:0</c>).</summary>
    public Uri ServingUrl { get; set; } = new("http://serving");

    /// <summary>The key a reviewer signs in with before reviewing or labelling. Empty: nobody can sign in.</summary>
    public string AdminApiKey { get; set; } = "";

    /// <summary>Set behind a gateway that keeps its prefix, e.g. <c>/dry-wet-ui</c>; links and the cookie follow it.</summary>
    public string PathBase { get; set; } = "";

    /// <summary>Registered model whose versions the model page shows.</summary>
    public string ModelName { get; set; } = "dry_wet_model";

    /// <summary>
    /// Largest image the try-it page accepts, at most 1 GiB (serving has its own limit, 20 MB by default); with 64 KB for
    /// the other fields, also the largest post the app reads (<see cref="Extensions.UploadLimitMiddleware"/>).
    /// </summary>
    public long MaxUploadBytes { get; set; } = 20 * 1024 * 1024;

    private const long LargestUploadBytes = 1L << 30;

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
    /// Memory all thumbnail decodes together may hold (MiB): each reserves its working bytes (about 4 bytes a pixel of
    /// the size it decodes at, plus the file) before decoding; when the budget stays full for
    /// <see cref="Review.ThumbnailDecoder.BudgetWait"/>, 503 + Retry-After.
    /// </summary>
    public int DecodeMemoryBudgetMB { get; set; } = 192;

    /// <summary>Sign-in attempts per client address and minute; more get 429 with Retry-After.</summary>
    public int SignInPermitsPerMinute { get; set; } = 10;

    /// <summary>
    /// Proxies (addresses or CIDR networks) whose X-Forwarded-For/-Proto are believed, besides loopback (the Istio
    /// sidecar reaches the app from 127.0.0.6). Empty: loopback only.
    /// </summary>
    public string[] KnownProxies { get; set; } = [];

    public long DecodeMemoryBudgetBytes => DecodeMemoryBudgetMB * 1024L * 1024L;

    /// <summary>Reads section <c>Web</c> (<see cref="OptionsBinding"/>): every problem named in one error, at start.</summary>
    public static WebOptions FromConfiguration(IConfiguration configuration) => OptionsBinding.Bind<WebOptions>(configuration, SectionName);

    public IEnumerable<string> Validate(string section)
    {
        if (ServingUrl is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
        {
            yield return $"{section}:{nameof(ServingUrl)} = '{ServingUrl?.OriginalString}' is not an http(s) URL; use e.g. http://serving or http://localhost:5001.";
        }

        if (PathBase.Length > 0 && (!PathBase.StartsWith('/') || PathBase.EndsWith('/')))
        {
            yield return $"{section}:{nameof(PathBase)} = '{PathBase}' must start with '/' and not end with one, e.g. /dry-wet-ui (empty: no prefix).";
        }

        if (string.IsNullOrWhiteSpace(ModelName))
        {
            yield return $"{section}:{nameof(ModelName)} is empty: name the registered model the model page shows (default dry_wet_model).";
        }

        if (MaxUploadBytes is <= 0 or > LargestUploadBytes)
        {
            yield return $"{section}:{nameof(MaxUploadBytes)} = {MaxUploadBytes} must be positive and at most 1073741824 (1 GiB) bytes, e.g. 20971520 (the default, 20 MiB).";
        }

        if (MaxImagePixels <= 0)
        {
            yield return $"{section}:{nameof(MaxImagePixels)} = {MaxImagePixels} must be positive, e.g. 40000000 (the default, 40 MP).";
        }
        else if (MaxUploadBytes is > 0 and <= LargestUploadBytes)
        {
            var largest = ImageHeader.WorkingBytesFor(MaxImagePixels, Review.ThumbnailDecoder.MaxSide * Review.ThumbnailDecoder.MaxSide * 5, MaxUploadBytes);
            if (DecodeMemoryBudgetMB <= 0 || DecodeMemoryBudgetBytes < largest)
            {
                yield return $"{section}:{nameof(DecodeMemoryBudgetMB)} = {DecodeMemoryBudgetMB} must hold the decode of one image of {section}:{nameof(MaxImagePixels)} = {MaxImagePixels} "
                             + $"sent as {section}:{nameof(MaxUploadBytes)} = {MaxUploadBytes} (at least {(largest + (1024 * 1024) - 1) / (1024 * 1024)} MiB; default 192).";
            }
        }

        if (SignInPermitsPerMinute <= 0)
        {
            yield return $"{section}:{nameof(SignInPermitsPerMinute)} = {SignInPermitsPerMinute} must be positive, e.g. 10 (the default).";
        }

        foreach (var proxy in KnownProxies)
        {
            if (!System.Net.IPNetwork.TryParse(proxy, out _) && !System.Net.IPAddress.TryParse(proxy, out _))
            {
                yield return $"{section}:{nameof(KnownProxies)} has '{proxy}', which is neither an IP address nor a CIDR network (e.g. 10.0.0.1 or 10.0.0.0/8).";
            }
        }
    }
}
