using System.Globalization;
using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

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

    /// <summary>Reads <c>DryWet:Tracking</c>; a misspelt key or a value that is not a time span is an error naming it.</summary>
    public static TrackingOptions FromConfiguration(IConfiguration configuration)
    {
        OptionsKeyChecker.ThrowOnUnknownKeys(configuration, (SectionName, typeof(TrackingOptions)));
        var options = new TrackingOptions();
        var interval = configuration.GetSection(SectionName)[nameof(SystemMetricsInterval)];
        if (interval is not null)
        {
            options.SystemMetricsInterval = TimeSpan.TryParse(interval, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new DryWetException($"{SectionName}:{nameof(SystemMetricsInterval)} = '{interval}' is not a time span: use e.g. 00:00:10 (the default) or 00:00:00 (off).");
        }

        return options.Validated();
    }

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
