using DryWet.Core.Configuration;

namespace DryWet.Serving;

/// <summary>Which model to serve and how to run it, section <c>Model</c> (env <c>Model__Path</c>, …); bound and checked at start by <see cref="OptionsBinding"/>.</summary>
public sealed class ModelOptions : IValidatedOptions
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

    /// <summary>
    /// First wait before retrying when no model could be loaded, e.g. while MLflow starts; it doubles up to a minute, or
    /// up to <see cref="PollInterval"/> when polling is on and shorter (a first wait longer than that cap is kept).
    /// </summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Reported version of a local package; default: the first 12 hex digits of model.onnx's SHA-256.</summary>
    public string? Version { get; set; }

    /// <summary>
    /// Which graph of the package runs: "auto" (default: the INT8 graph <c>model.int8.onnx</c> when the promotion gate
    /// vouched for it and it is also clearly faster than fp32 at load, <see cref="Inference.Int8SpeedCheck"/>, else
    /// fp32), "fp32" or "int8" (the INT8 graph even when the gate did not vouch for it; fails when the package has none).
    /// The choice and its reason are logged and shown in /model/info and drywet_model_info.
    /// </summary>
    public string Precision { get; set; } = "auto";

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

    /// <summary>
    /// Largest batch the batcher runs (models with a dynamic batch axis; 1 to 256). Unset (default): chosen at load from
    /// the model's measured run time per batch size, for the most throughput within <c>Serving:LatencyObjectiveMs</c>
    /// (<see cref="Inference.BatchPlanner"/>). Set, it wins.
    /// </summary>
    public int? MaxBatchSize { get; set; }

    /// <summary>
    /// How long the batcher waits for a batch to fill once an image is queued (0 = run what is queued now; up to 10000).
    /// Unset (default): chosen with the batch size (0 unless full batches are at least 10 % faster per image). Set, it wins.
    /// </summary>
    public double? MaxBatchDelayMilliseconds { get; set; }

    /// <summary>
    /// Longest the batch tuning at load may measure (default 3 s; 0 = size 1 only). A model already tuned in this
    /// process (a reload of the same ONNX file) reuses its measurements and only warms up.
    /// </summary>
    public TimeSpan BatchTuningBudget { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Dedicated inference threads (1 to 64, default 1), shared by every model of the process; 1 keeps ONNX Runtime's
    /// intra-op threads from competing with each other.
    /// </summary>
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

    /// <summary>Whether a shadow is wanted (<see cref="Shadow"/> auto; off otherwise, checked at start).</summary>
    public bool ShadowEnabled => Shadow.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);

    /// <summary><see cref="MaxBatchDelayMilliseconds"/> as a time span; null when unset.</summary>
    public TimeSpan? MaxBatchDelay => MaxBatchDelayMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    public IEnumerable<string> Validate(string section) => InvalidSettings.Of(section,
        (OneOf(Source, "auto", "local", "registry"), nameof(Source), Source, "auto, local (with Model:Path) or registry"),
        (OneOf(Shadow, "auto", "off"), nameof(Shadow), Shadow, "auto (serve the registry's challenger as a shadow) or off"),
        (OneOf(Precision, "auto", "fp32", "int8"), nameof(Precision), Precision, Inference.PrecisionChoice.Names),
        (OneOf(ExecutionProvider, "auto", "cuda", "cpu"), nameof(ExecutionProvider), ExecutionProvider, "auto, cuda or cpu"),
        (PollInterval >= TimeSpan.Zero, nameof(PollInterval), PollInterval, "a time span of 0 (never) or more"),
        (RetryInterval > TimeSpan.Zero, nameof(RetryInterval), RetryInterval, "a positive time span"),
        (CudaDeviceId >= 0, nameof(CudaDeviceId), CudaDeviceId, "a device number from 0"),
        (IntraOpThreads is >= 0 and <= 1024, nameof(IntraOpThreads), IntraOpThreads, "0 (one per core) or a number up to 1024"),
        (InterOpThreads is >= 0 and <= 1024, nameof(InterOpThreads), InterOpThreads, "0 (ONNX Runtime's default) or a number up to 1024"),
        (MaxBatchSize is null or (>= 1 and <= Inference.BatchPlanner.MaxBatchLimit), nameof(MaxBatchSize), MaxBatchSize,
            $"a whole number from 1 to {Inference.BatchPlanner.MaxBatchLimit}, or leave it unset to have it tuned"),
        (MaxBatchDelayMilliseconds is null or (>= 0 and <= 10_000), nameof(MaxBatchDelayMilliseconds), MaxBatchDelayMilliseconds,
            "milliseconds from 0 to 10000, or leave it unset to have it tuned"),
        (BatchTuningBudget >= TimeSpan.Zero && BatchTuningBudget <= TimeSpan.FromMinutes(5), nameof(BatchTuningBudget), BatchTuningBudget,
            "a time span from 0 to 00:05:00"),
        (ConcurrentRuns is >= 1 and <= 64, nameof(ConcurrentRuns), ConcurrentRuns, "a whole number from 1 to 64"));

    private static bool OneOf(string? value, params string[] choices) =>
        choices.Contains(value?.Trim() ?? "", StringComparer.OrdinalIgnoreCase);
}
