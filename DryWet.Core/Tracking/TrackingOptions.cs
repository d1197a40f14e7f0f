using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DryWet.Core.Tracking;

/// <summary>Settings of both tracking adapters (configuration section <c>DryWet:Tracking</c>).</summary>
public sealed class TrackingOptions : IValidatedOptions
{
    public const string SectionName = "DryWet:Tracking";

    /// <summary>
    /// How often a run samples MLflow's system metrics (<c>system/cpu_utilization_percentage</c>, …), like
    /// MLflow's <c>MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL</c>; 10 s by default, <c>00:00:00</c> turns sampling off.
    /// </summary>
    public TimeSpan SystemMetricsInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reads <c>DryWet:Tracking</c> (<see cref="OptionsBinding"/>): a misspelt key or a bad value is an error naming it.</summary>
    public static TrackingOptions FromConfiguration(IConfiguration configuration) => OptionsBinding.Bind<TrackingOptions>(configuration, SectionName);

    public IEnumerable<string> Validate(string section)
    {
        if (SystemMetricsInterval < TimeSpan.Zero || (SystemMetricsInterval > TimeSpan.Zero && SystemMetricsInterval < TimeSpan.FromMilliseconds(50)))
        {
            yield return $"{section}:{nameof(SystemMetricsInterval)} = {SystemMetricsInterval} is invalid: use 00:00:00 (off) or at least 00:00:00.050 (default 00:00:10).";
        }
    }

    /// <summary>Throws naming the bad value; called when the adapters are built from options made in code.</summary>
    public TrackingOptions Validated() => Validate(SectionName).FirstOrDefault() is { } error ? throw new DryWetException(error) : this;
}
