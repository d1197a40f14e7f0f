namespace DryWet.Serving;

/// <summary>HTTP-facing settings, section <c>Serving</c> (env <c>Serving__AdminApiKey</c>, …).</summary>
public sealed class ServingOptions
{
    public const string SectionName = "Serving";

    /// <summary>Port used when no URL is configured (<c>ASPNETCORE_URLS</c>, <c>--urls</c>, <c>HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>).</summary>
    public int DefaultPort { get; set; } = 5001;

    /// <summary>When set, <c>POST /model/reload</c> requires <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public string? AdminApiKey { get; set; }

    /// <summary>Largest accepted <c>/predict</c> request body (default 20 MB); larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Largest accepted image side, read from the image header before decoding.</summary>
    public int MaxImageDimension { get; set; } = 16_384;

    /// <summary>Largest accepted image area (width × height) in pixels.</summary>
    public long MaxImagePixels { get; set; } = 64_000_000;

    /// <summary>Section <c>Serving:PredictionLog</c>: bound and validated at start by <see cref="Feedback.PredictionLogOptions.Bind"/>.</summary>
    public Feedback.PredictionLogOptions PredictionLog { get; set; } = new();

    /// <summary>Reported as <c>image_version</c>; defaults to <c>version.txt</c> beside the app, else "unknown".</summary>
    public string? ImageVersion { get; set; }
}
