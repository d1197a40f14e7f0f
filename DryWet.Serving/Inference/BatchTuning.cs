namespace DryWet.Serving.Inference;

/// <summary>
/// One loaded model's batch plan and the latency table it was chosen from; re-chosen from live run times
/// (<see cref="Recheck"/>), logging every change and remembering the refined table for a reload of the same model.
/// </summary>
internal sealed class BatchTuning
{
    private readonly object _lock = new();
    private readonly BatchPlanner.Settings _settings;
    private readonly Action<BatchLatencyTable> _remember;
    private readonly ILogger _logger;
    private readonly string _modelVersion;

    public BatchTuning(BatchLatencyTable table, BatchPlanner.Settings settings, string tableSource, string modelVersion,
        Action<BatchLatencyTable> remember, ILogger logger)
    {
        _settings = settings;
        _remember = remember;
        _logger = logger;
        _modelVersion = modelVersion;
        Table = table;
        TableSource = tableSource;
        Plan = BatchPlanner.Choose(table, settings);
    }

    public BatchPlan Plan { get; private set; }

    public BatchLatencyTable Table { get; private set; }

    /// <summary>Where the table came from: <see cref="TableSources"/>.</summary>
    public string TableSource { get; private set; }

    /// <summary>Nothing left to choose: batch size (or the graph's fixed batch) and delay are both set.</summary>
    public bool IsFullyConfigured => (_settings.MaxBatchSize is not null || _settings.FixedBatch is not null) && _settings.MaxBatchDelay is not null;

    /// <summary>
    /// Refines the table with live medians per batch size and chooses again; returns the new plan when the batch size
    /// or the delay changed (logged), else null.
    /// </summary>
    public BatchPlan? Recheck(IReadOnlyList<KeyValuePair<int, double>> liveMedians)
    {
        if (IsFullyConfigured || liveMedians.Count == 0)
        {
            return null;
        }

        lock (_lock)
        {
            var table = Table.With(liveMedians);
            var plan = BatchPlanner.Choose(table, _settings);
            Table = table;
            TableSource = TableSources.Live;
            _remember(table);
            if (plan.MaxBatchSize == Plan.MaxBatchSize && plan.MaxBatchDelay == Plan.MaxBatchDelay)
            {
                Plan = plan;
                return null;
            }

            _logger.LogInformation("Batch plan of model version {Version} re-checked from live run times ({Table}): was {Previous}; now {Plan}.",
                _modelVersion, table, Plan, plan);
            Plan = plan;
            return plan;
        }
    }
}

/// <summary>Where a <see cref="BatchTuning"/>'s latency table came from (shown in <c>/model/info</c>).</summary>
internal static class TableSources
{
    public const string Measured = "measured_at_load";
    public const string Reused = "reused_unchanged_model";
    public const string Live = "refined_from_live_runs";
}
