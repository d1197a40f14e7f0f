namespace DryWet.Core.Tracking;

/// <summary>
/// Adapters that can add metrics to a run after it ended implement this next to <see cref="IExperimentTracker"/>: a
/// registered version keeps learning about itself after training (its live accuracy on reviewed requests), and MLflow
/// accepts metrics on a finished run.
/// </summary>
public interface IFinishedRunMetrics
{
    /// <summary>Appends metric points to run <paramref name="runId"/>, whatever its status; throws <see cref="DryWetException"/> when there is no such run.</summary>
    Task LogMetricsAsync(string runId, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default);
}
