using DryWet.Core.Configuration;
using DryWet.Core.Imaging;

namespace DryWet.Serving;

/// <summary>HTTP-facing settings, section <c>Serving</c> (env <c>Serving__AdminApiKey</c>, …); bound and checked at start by <see cref="OptionsBinding"/>.</summary>
public sealed class ServingOptions : IValidatedOptions
{
    public const string SectionName = "Serving";

    /// <summary>Port used when no URL is configured (<c>ASPNETCORE_URLS</c>, <c>--urls</c>, <c>HTTP_PORTS</c>, <c>Kestrel:Endpoints</c>).</summary>
    public int DefaultPort { get; set; } = 5001;

    /// <summary>
    /// When set, <c>POST /model/reload</c> requires <c>Authorization: Bearer &lt;key&gt;</c>. When empty, reload is
    /// accepted from loopback only (fails closed for every other caller).
    /// </summary>
    public string? AdminApiKey { get; set; }

    /// <summary>
    /// Largest accepted <c>/predict</c> and Open Inference request body (default 20 MB, at most 1 GiB: a body is read into
    /// one pooled buffer); larger bodies get 413, with or without a Content-Length.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 20 * 1024 * 1024;

    private const long MaxBodyBytes = 1L << 30;

    /// <summary>Largest accepted image side, read from the image header before decoding.</summary>
    public int MaxImageDimension { get; set; } = 16_384;

    /// <summary>
    /// Largest accepted image area (width × height) in pixels, read from the header before decoding (default 40 MP:
    /// any road photo; larger is refused with 413 naming its size).
    /// </summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>
    /// Memory all image decodes in flight may hold together, in MB (default 256: well inside the pod's 1536Mi beside
    /// the model). Each decode reserves its worst case from the header first and waits at most <see cref="QueueTimeout"/>.
    /// </summary>
    public int DecodeMemoryBudgetMB { get; set; } = 256;

    /// <summary>Images decoded at once; 0 (default) = one per processor. Waiting requests hold no thread.</summary>
    public int MaxConcurrentDecodes { get; set; }

    /// <summary>
    /// Requests that may wait at once, for decode memory and, separately, for an inference run (default 64); one
    /// more is answered 503 with Retry-After at once.
    /// </summary>
    public int MaxQueuedRequests { get; set; } = 64;

    /// <summary>Longest a request waits for decode memory or for its inference to start (default 5 s); then 503 with Retry-After.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The batcher's latency objective in milliseconds: the batch size and delay chosen at load keep a request's
    /// batching share (the batch before it, the delay, its own batch) within it at saturation. Unset (default): 4 × the
    /// model's measured single-image run time, at least 10 ms.
    /// </summary>
    public double? LatencyObjectiveMs { get; set; }

    /// <summary>
    /// Most tensor elements one OIP infer request may declare (N × 3 × H × W; default 5,000,000 = 20 MB of FP32,
    /// the default body limit); checked before any buffer is allocated.
    /// </summary>
    public long MaxTensorElements { get; set; } = 5_000_000;

    /// <summary>
    /// How long a stopping server lets in-flight requests finish (default 25 s, inside Kubernetes' default 30 s grace
    /// period); new connections are refused meanwhile.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Section <c>Serving:PredictionLog</c>: bound and checked on its own (<see cref="Feedback.PredictionLogOptions"/>, registered as such); a key here so that it is known.</summary>
    public Feedback.PredictionLogOptions PredictionLog { get; set; } = new();

    /// <summary>Section <c>Serving:Shadow</c>: bound and checked on its own (<see cref="Shadow.ShadowOptions"/>, registered as such); a key here so that it is known.</summary>
    public Shadow.ShadowOptions Shadow { get; set; } = new();

    /// <summary>Reported as <c>image_version</c>; defaults to <c>version.txt</c> beside the app, else "unknown".</summary>
    public string? ImageVersion { get; set; }

    /// <summary><see cref="LatencyObjectiveMs"/> as a time span; null when unset.</summary>
    public TimeSpan? LatencyObjective => LatencyObjectiveMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>Bytes of <see cref="DecodeMemoryBudgetMB"/>.</summary>
    public long DecodeMemoryBudgetBytes => DecodeMemoryBudgetMB * 1024L * 1024L;

    /// <summary><see cref="MaxConcurrentDecodes"/> with 0 resolved to the processor count.</summary>
    public int DecodeConcurrency => MaxConcurrentDecodes > 0 ? MaxConcurrentDecodes : Environment.ProcessorCount;

    public IEnumerable<string> Validate(string section)
    {
        var errors = InvalidSettings.Of(section,
            (MaxRequestBodyBytes is > 0 and <= MaxBodyBytes, nameof(MaxRequestBodyBytes), MaxRequestBodyBytes,
                "a positive number of bytes up to 1073741824 (1 GiB: a body is held in one buffer)"),
            (MaxImageDimension > 0, nameof(MaxImageDimension), MaxImageDimension, "a positive number of pixels"),
            (MaxImagePixels > 0, nameof(MaxImagePixels), MaxImagePixels, "a positive number of pixels"),
            (DecodeMemoryBudgetMB is >= 1 and <= 65_536, nameof(DecodeMemoryBudgetMB), DecodeMemoryBudgetMB, "a whole number of megabytes from 1 to 65536"),
            (MaxConcurrentDecodes is >= 0 and <= 1024, nameof(MaxConcurrentDecodes), MaxConcurrentDecodes, "0 (one per processor) or a number up to 1024"),
            (MaxQueuedRequests is >= 1 and <= 100_000, nameof(MaxQueuedRequests), MaxQueuedRequests, "a whole number from 1 to 100000"),
            (QueueTimeout > TimeSpan.Zero && QueueTimeout <= TimeSpan.FromMinutes(10), nameof(QueueTimeout), QueueTimeout, "a time span above 0 and up to 00:10:00"),
            (LatencyObjectiveMs is null or (> 0 and <= 600_000), nameof(LatencyObjectiveMs), LatencyObjectiveMs,
                "milliseconds above 0 and up to 600000, or leave it unset to have it chosen from the model's measured run time"),
            (MaxTensorElements > 0, nameof(MaxTensorElements), MaxTensorElements, "a positive number of elements"),
            (ShutdownTimeout >= TimeSpan.Zero && ShutdownTimeout <= TimeSpan.FromMinutes(10), nameof(ShutdownTimeout), ShutdownTimeout, "a time span from 0 to 00:10:00")).ToList();
        if (errors.Count == 0)
        {
            // Every image the limits admit must fit the budget on its own, or it would wait for nothing and get 503.
            var largest = ImageHeader.WorkingBytesFor(MaxImagePixels, 0, MaxRequestBodyBytes);
            if (largest > DecodeMemoryBudgetBytes)
            {
                errors.Add($"{section}:{nameof(DecodeMemoryBudgetMB)} = {DecodeMemoryBudgetMB} cannot hold one image of {nameof(MaxImagePixels)} = {MaxImagePixels:N0} " +
                    $"(needs {(largest + (1 << 20) - 1) >> 20} MB with a {MaxRequestBodyBytes:N0}-byte body): raise the budget or lower {nameof(MaxImagePixels)}.");
            }
        }

        return errors;
    }
}
