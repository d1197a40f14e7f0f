namespace DryWet.Serving;

/// <summary>Which model to serve and how to run it, section <c>Model</c> (env <c>Model__Path</c>, …).</summary>
public sealed class ModelOptions
{
    public const string SectionName = "Model";

    /// <summary>
    /// Model source: "auto" (default: "local" when <see cref="Path"/> is set, else "registry"), "local" (a package
    /// directory at <see cref="Path"/>) or "registry" (<see cref="Name"/>@<see cref="Alias"/>, else the newest version in
    /// <see cref="Stage"/>, from the MLflow registry when ConnectionStrings:mlflow is set, else the embedded one).
    /// </summary>
    public string Source { get; set; } = "auto";

    /// <summary>Local package directory: MLmodel (onnx flavor) + model.onnx [+ config.yaml, labels.json].</summary>
    public string? Path { get; set; }

    /// <summary>Registered model name to serve; reported name (the original: dry_wet_model).</summary>
    public string Name { get; set; } = "dry_wet_model";

    /// <summary>Reported stage of a local package; the registry source's fallback stage (the original: Production).</summary>
    public string Stage { get; set; } = "Production";

    /// <summary>Registry alias to serve (falls back to <see cref="Stage"/> when the alias is not set).</summary>
    public string Alias { get; set; } = "production";

    /// <summary>
    /// "auto" (default): when the registry's <c>challenger</c> alias names another version than the one served, load it
    /// as a shadow that also classifies a sample of traffic off the response path (<c>Serving:Shadow</c>), following the
    /// alias like the served model follows <see cref="Alias"/>; "off": never. A local package has no shadow.
    /// </summary>
    public string Shadow { get; set; } = "auto";

    /// <summary>How often to ask the registry whether the alias moved and reload when it did; zero (default) = never.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.Zero;

    /// <summary>First wait before retrying when no model could be loaded (doubles up to a minute), e.g. while MLflow starts.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Reported version of a local package; default: the first 12 hex digits of model.onnx's SHA-256.</summary>
    public string? Version { get; set; }

    /// <summary>"auto" (CUDA when available, else CPU, logged), "cuda" (fail when unavailable) or "cpu".</summary>
    public string ExecutionProvider { get; set; } = "auto";

    public int CudaDeviceId { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 = one per core.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>ONNX Runtime inter-op threads; 0 = ONNX Runtime's default.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>
    /// ONNX Runtime intra-op threads spin while waiting for work (ONNX Runtime's default; off here). Measured on the
    /// 2-core box with wrk at 16 clients (docs/serving.md, 2026-12-01): spinning threads take the cores request threads
    /// need for decoding, so the server spent 1.8–2.5× the raw CPU per image; off, 1.0–1.1× (4 of 5 runs), and p50 at 1 client fell too.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// ONNX Runtime's CPU memory arena (its default, kept): reuses activation memory across runs. Off, each run
    /// allocates and frees: lower RSS (705–785 MB peak) but about twice the CPU per image (2 runs), so it stays on.
    /// </summary>
    public bool CpuMemoryArena { get; set; } = true;

    /// <summary>
    /// ONNX Runtime's memory pattern (its default; off here): plans and keeps one block per input shape seen, i.e. per
    /// batch size 1 … MaxBatchSize, so resident memory grows with every new batch size. Off, activations come from the
    /// arena as the graph runs: peak RSS under load 660 MB instead of 960–1130 MB, at no measured CPU cost (docs/serving.md).
    /// </summary>
    public bool MemoryPattern { get; set; }

    /// <summary>Requests queued together are run as one batch of up to this many images (models with a dynamic batch axis).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>How long the batcher waits for more requests once one is queued; 0 = run what is queued now.</summary>
    public double MaxBatchDelayMilliseconds { get; set; }

    /// <summary>Number of inference loops sharing the session; 1 keeps ONNX Runtime's threads from competing.</summary>
    public int ConcurrentRuns { get; set; } = 1;

    /// <summary>
    /// These settings for the shadow model: one intra-op thread (ONNX Runtime then runs on the caller, the shadow
    /// runner's low-priority thread), batch 1, one run at a time, no spinning; the rest as the served model.
    /// </summary>
    public ModelOptions ForShadow()
    {
        var shadow = (ModelOptions)MemberwiseClone();
        shadow.IntraOpThreads = 1;
        shadow.InterOpThreads = 1;
        shadow.AllowSpinning = false;
        shadow.MaxBatchSize = 1;
        shadow.MaxBatchDelayMilliseconds = 0;
        shadow.ConcurrentRuns = 1;
        return shadow;
    }

    /// <summary>Whether a shadow is wanted; throws naming the key when <see cref="Shadow"/> is neither auto nor off.</summary>
    public bool ShadowEnabled => Shadow.Trim().ToLowerInvariant() switch
    {
        "auto" => true,
        "off" => false,
        _ => throw new Core.DryWetException($"{SectionName}:{nameof(Shadow)} = '{Shadow}' is invalid: use auto (serve the registry's challenger as a shadow) or off."),
    };
}
