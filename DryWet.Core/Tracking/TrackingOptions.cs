namespace DryWet.Core.Tracking;

/// <summary>Settings of both tracking adapters (configuration section <c>DryWet:Tracking</c>).</summary>
public sealed class TrackingOptions
{
    public const string SectionName = "DryWet:Tracking";

    /// <summary>
    /// How often a run samples MLflow's system metrics (<c>system/cpu_utilization_percentage</c>, …), like
    /// MLflow's <c>MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL</c>; 10 s by default, <c>00:00:00</c> turns sampling off.
    /// </summary>
    public TimeSpan SystemMetricsInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws naming the bad value; called when the adapters are built.</summary>
    public TrackingOptions Validated()
    {
        if (SystemMetricsInterval < TimeSpan.Zero || (SystemMetricsInterval > TimeSpan.Zero && SystemMetricsInterval < TimeSpan.FromMilliseconds(50)))
        {
            throw new DryWetException($"{SectionName}:SystemMetricsInterval = {SystemMetricsInterval} is invalid: use 00:00:00 (off) or at least 00:00:00.050 (default 00:00:10).");
        }

        return this;
    }
}
