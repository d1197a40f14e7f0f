namespace DryWet.Serving.Inference;

/// <summary>
/// How the batcher runs a model: batches of up to <see cref="MaxBatchSize"/> images, waiting up to
/// <see cref="MaxBatchDelay"/> for a batch to fill, chosen under <see cref="LatencyObjective"/>. Each value says where
/// it came from (<see cref="BatchPlanSources"/>): logged at load, exported as metrics, shown in <c>/model/info</c>.
/// </summary>
public sealed record BatchPlan(
    int MaxBatchSize,
    TimeSpan MaxBatchDelay,
    TimeSpan LatencyObjective,
    string MaxBatchSizeSource,
    string MaxBatchDelaySource,
    string LatencyObjectiveSource,
    double ExpectedImagesPerSecond)
{
    public override string ToString() => FormattableString.Invariant(
        $"batches up to {MaxBatchSize} ({MaxBatchSizeSource}), delay {MaxBatchDelay.TotalMilliseconds:0.###} ms ({MaxBatchDelaySource}), latency objective {LatencyObjective.TotalMilliseconds:0.#} ms ({LatencyObjectiveSource}), expected {ExpectedImagesPerSecond:0.#} img/s at saturation");
}

/// <summary>Where a <see cref="BatchPlan"/> value came from.</summary>
public static class BatchPlanSources
{
    /// <summary>Chosen from the latency table measured at load (and refined from live runs).</summary>
    public const string Tuned = "tuned";

    /// <summary>Set explicitly (<c>Model:MaxBatchSize</c>, <c>Model:MaxBatchDelayMilliseconds</c>, <c>Serving:LatencyObjectiveMs</c>).</summary>
    public const string Configured = "configured";

    /// <summary>The graph's batch axis is fixed: that is the only size it runs.</summary>
    public const string FixedByModel = "fixed_by_model";
}
