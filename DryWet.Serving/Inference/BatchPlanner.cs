namespace DryWet.Serving.Inference;

/// <summary>
/// Chooses the batch size and batching delay from a model's <see cref="BatchLatencyTable"/>: the most throughput under
/// the latency objective. Pure and deterministic (tested with injected tables, never with timings).
/// <para>
/// The model: with one run at a time, a request arriving just after a batch started waits for that batch, then for the
/// delay, then for its own batch, so a batcher's own share of a request's latency at saturation is up to
/// <c>delay + 2 × L(b)</c>; that must stay within the objective. Throughput at saturation is <c>b ÷ L(b)</c>. Among the
/// sizes within the objective, the smallest reaching 97 % of the best throughput wins (the same work, less latency).
/// The delay only pays when batching does: when a full batch is at least 10 % more images per second than single
/// images, the batcher waits up to half a single-image run (or what the objective leaves, if less) for a batch to
/// fill; otherwise it never waits. The default objective is 4 × L(1), at least <see cref="MinimumDefaultObjective"/>.
/// </para>
/// </summary>
public static class BatchPlanner
{
    /// <summary>Floor of the default objective: tiny models still batch.</summary>
    public static readonly TimeSpan MinimumDefaultObjective = TimeSpan.FromMilliseconds(10);

    /// <summary>Largest batch the batcher runs (buffers are allocated for it).</summary>
    public const int MaxBatchLimit = 256;

    /// <summary>Sizes within this share of the best throughput count as equal; the smallest of them wins.</summary>
    public const double ThroughputTolerance = 0.97;

    /// <summary>Below this gain of a full batch over single images, the batcher never waits.</summary>
    public const double DelayWorthwhileGain = 1.10;

    /// <summary>What the operator set; null = choose.</summary>
    public sealed record Settings(int? MaxBatchSize, TimeSpan? MaxBatchDelay, TimeSpan? LatencyObjective, int? FixedBatch);

    /// <summary>The default objective for a table: 4 × its batch-1 latency, at least <see cref="MinimumDefaultObjective"/>.</summary>
    public static TimeSpan DefaultObjective(BatchLatencyTable table)
    {
        var single = TimeSpan.FromSeconds(4 * table.Estimate(1));
        return single > MinimumDefaultObjective ? single : MinimumDefaultObjective;
    }

    public static BatchPlan Choose(BatchLatencyTable table, Settings settings)
    {
        if (table.Count == 0)
        {
            throw new ArgumentException("The latency table is empty: at least batch size 1 must be measured.", nameof(table));
        }

        var objective = settings.LatencyObjective ?? DefaultObjective(table);
        var objectiveSource = settings.LatencyObjective is null ? BatchPlanSources.Tuned : BatchPlanSources.Configured;
        var (size, sizeSource) = settings switch
        {
            { FixedBatch: { } fixedBatch } => (fixedBatch, BatchPlanSources.FixedByModel),
            { MaxBatchSize: { } configured } => (Math.Clamp(configured, 1, MaxBatchLimit), BatchPlanSources.Configured),
            _ => (BestSize(table, objective), BatchPlanSources.Tuned),
        };

        var delay = settings.MaxBatchDelay ?? TunedDelay(table, size, objective);
        var delaySource = settings.MaxBatchDelay is null ? BatchPlanSources.Tuned : BatchPlanSources.Configured;
        return new BatchPlan(size, delay, objective, sizeSource, delaySource, objectiveSource, size / table.Estimate(size));
    }

    /// <summary>The smallest measured size within 97 % of the best throughput among those within the objective (1 if none is).</summary>
    /// <remarks>A configured delay is the operator's own latency choice: it does not shrink the batch.</remarks>
    private static int BestSize(BatchLatencyTable table, TimeSpan objective)
    {
        var within = table.BatchSizes
            .Where(b => b <= MaxBatchLimit && 2 * table.SecondsAt(b) <= objective.TotalSeconds)
            .ToList();
        if (within.Count == 0)
        {
            return 1;
        }

        var best = within.Max(table.ImagesPerSecondAt);
        return within.First(b => table.ImagesPerSecondAt(b) >= ThroughputTolerance * best);
    }

    private static TimeSpan TunedDelay(BatchLatencyTable table, int size, TimeSpan objective)
    {
        if (size <= 1 || table.Estimate(size) <= 0)
        {
            return TimeSpan.Zero;
        }

        var single = table.Estimate(1);
        var gain = size / table.Estimate(size) / (1 / single);
        if (gain < DelayWorthwhileGain)
        {
            return TimeSpan.Zero;
        }

        var slack = objective.TotalSeconds - 2 * table.Estimate(size);
        var seconds = Math.Clamp(Math.Min(single / 2, slack), 0, single / 2);
        // Whole microseconds: the plan is compared and shown; sub-microsecond noise would only churn it.
        return TimeSpan.FromMicroseconds(Math.Round(seconds * 1_000_000));
    }
}
